/**
 * Starts several `_add_user_process.ts` processes on one store at the same instant and waits for
 * them: the multi-process test of the file-backed stores.
 *
 * @module
 */
import assert from "node:assert/strict";

const HELPER = new URL("./_add_user_process.ts", import.meta.url).pathname;
/** The project root, where deno.json (the import map) lives. */
const ROOT = new URL("../..", import.meta.url).pathname;

/**
 * Runs `processes` helpers that each add `perProcess` users (names `pN-i`) to `spec`, released
 * together once all have started; asserts that each exits with code 0.
 * @param scratch a folder for the start barrier's files.
 */
export async function addFromProcesses(
  spec: string,
  scratch: string,
  processes: number,
  perProcess: number,
): Promise<void> {
  const go = `${scratch}/go`;
  const children = Array.from({ length: processes }, (_, p) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", HELPER, spec, `p${p}`, String(perProcess), `${scratch}/ready${p}`, go],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).spawn());
  try {
    await waitFor(async () => {
      const names = await Array.fromAsync(Deno.readDir(scratch), (entry) => entry.name);
      return names.filter((name) => name.startsWith("ready")).length === processes;
    });
  } finally {
    // Release the helpers even when one failed to start, so none is left waiting.
    await Deno.writeTextFile(go, "");
    const outputs = await Promise.all(children.map((child) => child.output()));
    const results = outputs.map((o) => ({
      code: o.code,
      stderr: new TextDecoder().decode(o.stderr),
    }));
    assert.deepEqual(results, results.map((r) => ({ ...r, code: 0 })));
  }
}

/** Polls `condition` every 10 ms for up to 30 s. */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("Cannot start helpers: timed out waiting for them");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The names `addFromProcesses` adds, sorted. */
export function expectedNames(processes: number, perProcess: number): string[] {
  const names = [];
  for (let p = 0; p < processes; p++) {
    for (let i = 0; i < perProcess; i++) names.push(`p${p}-${i}`);
  }
  return names.sort();
}
