/**
 * Helpers for end-to-end tests that need a push or pull to take a while: trees of large random
 * files, the bytes a push has written on the server so far, and polling for a condition.
 *
 * @module
 */
import type { TestServer } from "./_harness.ts";

/** One mebibyte. */
export const MiB = 1024 * 1024;

/** Writes `files` files of `mib` MiB of random bytes each under `root`; returns the bytes. */
export async function makeBigTree(root: string, files: number, mib: number): Promise<number> {
  await Deno.mkdir(root, { recursive: true });
  const buffer = new Uint8Array(mib * MiB);
  for (let f = 0; f < files; f++) {
    for (let i = 0; i < buffer.length; i += 65536) {
      crypto.getRandomValues(buffer.subarray(i, i + 65536));
    }
    await Deno.writeFile(`${root}/big-${f}.bin`, buffer);
  }
  return files * mib * MiB;
}

/** Bytes in sealed packs and pack files being written under a user's chunk store. */
export async function packBytes(server: TestServer, user: string): Promise<number> {
  let total = 0;
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.includes(".pack")) total += (await Deno.stat(path)).size;
    }
  };
  await walk(`${server.dataDir}/repos/${user}/chunks`).catch(() => {});
  return total;
}

/** Polls `check` every 20 ms until it holds; throws after `ms`. */
export async function waitFor(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
