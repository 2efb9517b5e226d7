/**
 * Helpers shared by tests across the project.
 *
 * @module
 */
import type { LogFields, Logger } from "../src/log.ts";

/**
 * Runs `cmd` with `args` and returns its stdout as text.
 *
 * @throws {Error} when it exits non-zero, with its stderr in the message
 */
export async function runCommand(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Runs `body` in a fresh temporary folder, removed afterwards whatever happens. */
export async function inTempDir(
  body: (dir: string) => Promise<void>,
  prefix = "burrow-test-",
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** One line a `recordingLogger` heard. */
export interface LoggedLine {
  level: "info" | "warn" | "error";
  message: string;
  fields: LogFields;
}

/** A logger that keeps every line it is given, for tests to inspect. */
export function recordingLogger(): { logger: Logger; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const log = (level: LoggedLine["level"]) => (message: string, fields: LogFields = {}) =>
    void lines.push({ level, message, fields });
  return { logger: { info: log("info"), warn: log("warn"), error: log("error") }, lines };
}

/** Paths of the files under `dir` (at any depth) whose names end with `suffix`, sorted. */
export async function filesEnding(dir: string, suffix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await filesEnding(path, suffix));
    else if (entry.name.endsWith(suffix)) found.push(path);
  }
  return found.sort();
}

/** What ends the name of every test that runs its body in a child (`--filter` finds them). */
export const ISOLATED_MARK = "(in a child process)";

/**
 * Registers a test whose body runs in a child `deno test` of the same file, its output captured:
 * for tests that crash a worker on purpose, whose runtime prints "error: Uncaught (in worker …)"
 * on stderr, which must not show in a passing suite's output. The child's output must match
 * `expectOutput` (proof that the crash really happened), and its one test must pass. The test
 * that starts the child is named `name` followed by {@link ISOLATED_MARK}.
 */
export function isolatedTest(
  name: string,
  file: string,
  expectOutput: RegExp,
  fn: () => Promise<void> | void,
): void {
  if (Deno.env.get("BURROW_ISOLATED_TEST") === name) {
    Deno.test(name, fn);
    return;
  }
  Deno.test(`${name} ${ISOLATED_MARK}`, async () => {
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--no-check", "--filter", name, new URL(file).pathname],
      env: { BURROW_ISOLATED_TEST: name, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    const output = decoder.decode(child.stdout) + decoder.decode(child.stderr);
    if (child.code !== 0 || !/\| 1 passed \|/.test(output)) {
      throw new Error(`the isolated test failed:\n${output}`);
    }
    if (!expectOutput.test(output)) {
      throw new Error(`the isolated test's output does not match ${expectOutput}:\n${output}`);
    }
  });
}
