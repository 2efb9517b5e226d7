/**
 * Runs the real CLI on a pseudo-terminal (util-linux `script`), typing lines at given times, for
 * tests of prompts: `Deno.stdin.isTerminal()` is true in the child, as for a person at a shell.
 *
 * @module
 */
import type { RunResult } from "./_harness.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** One line typed on the terminal, `afterMs` after the previous one (or after the start). */
export interface Keystrokes {
  afterMs: number;
  text: string;
}

/** Quotes `word` for sh. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs `burrow ARGS…` on a pseudo-terminal `columns` wide, typing each line (ended by Enter) in
 * turn; stdout holds everything the terminal showed (prompts and progress lines included). BURROW_* variables of the test
 * process are not inherited.
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
  const writer = child.stdin.getWriter();
  for (const { afterMs, text } of typed) {
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    await writer.write(new TextEncoder().encode(`${text}\r`));
  }
  const output = await child.output();
  await writer.close().catch(() => {});
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
