/**
 * Runs the real CLI on a pseudo-terminal (util-linux `script`), typing lines at given times, for
 * tests of prompts: `Deno.stdin.isTerminal()` is true in the child, as for a person at a shell.
 *
 * @module
 */
import type { RunResult } from "./_harness.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/** How long a line waits for the prompt it answers before the run is given up. */
const PROMPT_TIMEOUT_MS = 60_000;
/** How long a whole run may take before it is killed. */
const RUN_TIMEOUT_MS = 120_000;

/**
 * One line typed on the terminal: once the terminal has shown `prompt` (when given; after the
 * text earlier lines waited for), `afterMs` after that or after the previous line (or the start).
 */
export interface Keystrokes {
  afterMs: number;
  text: string;
  prompt?: string;
}

/** Quotes `word` for sh. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs `burrow ARGS…` on a pseudo-terminal `columns` wide, typing each line (ended by Enter) in
 * turn; stdout holds everything the terminal showed (prompts and progress lines included).
 * BURROW_* variables of the test process are not inherited. A prompt that does not come within
 * a minute ends the run.
 */
export async function burrowOnTerminal(
  args: string[],
  typed: Keystrokes[],
  env: Record<string, string> = {},
  columns = 80,
): Promise<RunResult> {
  const run = [Deno.execPath(), "run", "-A", MAIN, ...args].map(shellQuote).join(" ");
  const command = `stty cols ${columns} rows 24; exec ${run}`;
  const child = new Deno.Command("script", {
    args: ["-qfec", command, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
    clearEnv: true,
  }).spawn();
  let shown = "";
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) shown += chunk;
  })();
  const stderr = new Response(child.stderr).text();
  const writer = child.stdin.getWriter();
  let seen = 0;
  for (const { afterMs, text, prompt } of typed) {
    if (prompt !== undefined) {
      const deadline = Date.now() + PROMPT_TIMEOUT_MS;
      while (shown.indexOf(prompt, seen) < 0) {
        if (Date.now() > deadline) {
          child.kill("SIGKILL");
          throw new Error(`no prompt ${JSON.stringify(prompt)} on the terminal:\n${shown}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      seen = shown.indexOf(prompt, seen) + prompt.length;
    }
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    await writer.write(new TextEncoder().encode(`${text}\r`));
  }
  // A command that never ends (waiting for input that never comes) fails the test, not hangs it.
  const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
  const status = await child.status;
  clearTimeout(timer);
  await reading;
  await writer.close().catch(() => {});
  return { code: status.code, stdout: shown, stderr: await stderr };
}
