/**
 * The V8 flags burrow runs with, as deno.json's `install`, `compile` and `serve` tasks carry
 * them (a young generation of a few MiB per isolate: the main thread's and each worker's), so
 * that the benchmarks run burrow the way README tells people to.
 *
 * @module
 */

const DENO_JSON = new URL("../deno.json", import.meta.url);

/** The `--v8-flags=…` argument of each of the tasks that run burrow, by task name. */
export async function taskV8Flags(): Promise<Record<string, string | null>> {
  const { tasks } = JSON.parse(await Deno.readTextFile(DENO_JSON)) as {
    tasks: Record<string, string>;
  };
  const flags: Record<string, string | null> = {};
  for (const name of ["install", "compile", "serve"]) {
    flags[name] = /(?:^|\s)(--v8-flags=\S+)/.exec(tasks[name] ?? "")?.[1] ?? null;
  }
  return flags;
}

/** The `deno run` arguments before the script that run burrow as `deno task install` does. */
export async function burrowRunFlags(): Promise<string[]> {
  const flag = (await taskV8Flags()).install ?? null;
  return flag === null ? [] : [flag];
}
