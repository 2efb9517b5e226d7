/**
 * Helpers shared by tests across the project.
 *
 * @module
 */

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
