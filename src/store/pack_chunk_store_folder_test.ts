import assert from "node:assert/strict";
import { StoreError } from "../errors.ts";
import { PackChunkStore, type PackStoreHooks } from "./pack_chunk_store.ts";
import { inTempDir } from "../../tests/_testing.ts";

type Chunk = [Uint8Array, Uint8Array];

function chunks(count: number, length: number): Chunk[] {
  return Array.from({ length: count }, (_, i) => [
    crypto.getRandomValues(new Uint8Array(32)),
    new Uint8Array(length).fill(i + 1),
  ]);
}

/**
 * Hooks whose fsync of a pack waits until `until` settles or `maxMs` passed, as a slow disk
 * flushing a pack does.
 */
function slowSync(until: Promise<unknown>, maxMs: number): Partial<PackStoreHooks> {
  return {
    syncFile: async (file) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise((resolve) => (timer = setTimeout(resolve, maxMs)));
      await Promise.race([until.catch(() => {}), late]);
      clearTimeout(timer);
      await file.sync();
    },
  };
}

Deno.test("PackChunkStore.open() of a folder whose store is closing waits for the close", () =>
  inTempDir(async (dir) => {
    // The first store's final flush is still fsyncing its pack when the second open starts. An
    // open that does not wait sweeps the pack being written as a crash leftover (and lets the
    // flush go on, here), so the close fails or the blobs are gone.
    const reopened = Promise.withResolvers<PackChunkStore>();
    const first = await PackChunkStore.open(dir, { hooks: slowSync(reopened.promise, 300) });
    const stored = chunks(20, 5000);
    for (const [id, blob] of stored) await first.put(id, blob);
    const closing = first.close();
    PackChunkStore.open(dir).then(reopened.resolve, reopened.reject);
    const second = await reopened.promise;
    await closing;
    assert.equal(
      second.size,
      stored.length,
      "the second store sees every blob the first one flushed",
    );
    for (const [id, blob] of stored) assert.deepEqual(await second.get(id), blob);
    await second.close();
  }));

Deno.test("PackChunkStore.open() refuses a folder whose store is open, by any path", () =>
  inTempDir(async (dir) => {
    const first = await PackChunkStore.open(`${dir}/store`);
    await Deno.symlink(`${dir}/store`, `${dir}/link`);
    await assert.rejects(
      PackChunkStore.open(`${dir}/link`),
      (error) => error instanceof StoreError && /has the folder open/.test(error.message),
    );
    await assert.rejects(PackChunkStore.open(`${dir}/./store/../store`), StoreError);
    const [id, blob] = chunks(1, 100)[0]!;
    await first.put(id, blob);
    await first.close();
    const second = await PackChunkStore.open(`${dir}/link`);
    assert.deepEqual(await second.get(id), blob, "a closed store's folder opens again");
    await second.close();
  }));

Deno.test("PackChunkStore.open() that fails leaves the folder free", () =>
  inTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/store`);
    await Deno.writeTextFile(`${dir}/store/index`, "not a folder");
    await assert.rejects(PackChunkStore.open(`${dir}/store`));
    await Deno.remove(`${dir}/store/index`);
    const store = await PackChunkStore.open(`${dir}/store`);
    assert.ok(store.size === 0);
    await store.close();
  }));
