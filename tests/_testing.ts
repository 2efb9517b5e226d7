/**
 * Helpers shared by tests across the project.
 *
 * @module
 */

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
