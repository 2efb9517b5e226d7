/** Crash recovery of the S3 chunk store on a real S3 service (ignored without one). */
import assert from "node:assert/strict";
import { S3ChunkStore } from "./s3_chunk_store.ts";
import {
  freshPrefix,
  removePrefix,
  s3Problem,
  testObjectStore,
  testS3Settings,
} from "../../../tests/_s3_env.ts";
import { type Chunk, makeChunks } from "../../../tests/conformance/_chunk_data.ts";
import { indexKey, packKey } from "./_s3_layout.ts";
import { ObjectStore } from "./object_store.ts";

const ignore = s3Problem !== null;

async function withPrefix(body: (objects: ObjectStore, prefix: string) => Promise<void>) {
  const objects = await testObjectStore();
  const prefix = freshPrefix("unit");
  try {
    await body(objects, prefix);
  } finally {
    await removePrefix(objects, prefix);
    objects.close();
  }
}

/** Puts `chunks` into a store on `prefix` and closes it, so their pack is sealed. */
async function storeSealed(objects: ObjectStore, prefix: string, chunks: Chunk[]): Promise<void> {
  const store = await S3ChunkStore.open(objects, prefix);
  for (const [id, blob] of chunks) await store.put(id, blob);
  await store.close();
}

async function keysUnder(objects: ObjectStore, prefix: string): Promise<string[]> {
  return (await Array.fromAsync(objects.list(prefix))).map(({ key }) => key);
}

Deno.test({
  name: "S3ChunkStore.open() rebuilds a lost index from its pack and aborts unfinished uploads",
  ignore,
  fn: () =>
    withPrefix(async (objects, prefix) => {
      const chunks = makeChunks(30, (i) => 1000 + i * 37);
      const store = await S3ChunkStore.open(objects, prefix);
      for (const [id, blob] of chunks) await store.put(id, blob);
      await store.close();
      const [index] = await keysUnder(objects, `${prefix}index/`);
      assert.ok(index !== undefined);
      await objects.remove([index]);
      await objects.startUpload(packKey(prefix, "ab".repeat(16)));
      assert.equal((await Array.fromAsync(objects.listUploads(prefix))).length, 1);

      const again = await S3ChunkStore.open(objects, prefix);
      for (const [id, blob] of chunks) assert.deepEqual(await again.get(id), blob);
      assert.equal(again.size, chunks.length);
      assert.equal(again.damaged, 0);
      await again.close();
      assert.deepEqual(await Array.fromAsync(objects.listUploads(prefix)), []);
      assert.ok((await keysUnder(objects, `${prefix}index/`)).includes(index));
    }),
});

Deno.test({
  name: "S3ChunkStore gets that miss at once share the ranged GET of the span they fall in",
  ignore,
  fn: () =>
    withPrefix(async (objects, prefix) => {
      const chunks = makeChunks(200, (i) => 5000 + i);
      await storeSealed(objects, prefix, chunks);
      // The same bucket through a store that counts its ranged GETs.
      const reads: number[] = [];
      const counting = new (class extends ObjectStore {
        override read(key: string, offset: number, targets: readonly Uint8Array[]) {
          reads.push(offset);
          return super.read(key, offset, targets);
        }
      })(testS3Settings());
      const again = await S3ChunkStore.open(counting, prefix);
      try {
        const got = await Promise.all(chunks.map(([id]) => again.get(id)));
        assert.deepEqual(got, chunks.map(([, blob]) => blob));
        assert.equal(reads.length, 1, `one GET for one pack of ${chunks.length} blobs`);
      } finally {
        await again.close();
        counting.close();
      }
    }),
});

for (const step of ["repack:copied", "repack:committed", "repack:indexes-removed"]) {
  Deno.test({
    name: `S3ChunkStore delete() cut off at ${step} leaves each blob deleted or whole`,
    ignore,
    fn: () =>
      withPrefix(async (objects, prefix) => {
        const chunks = makeChunks(40, (i) => 2000 + i);
        await storeSealed(objects, prefix, chunks);
        const crash = (at: string) => {
          if (at === step) throw new Error(`crash at ${at}`);
        };
        const store = await S3ChunkStore.open(objects, prefix, { checkpoint: crash });
        const doomed = chunks.slice(0, 10);
        await assert.rejects(() => store.delete(doomed.map(([id]) => id)));
        await store.close().catch(() => {});

        const again = await S3ChunkStore.open(objects, prefix);
        for (const [id, blob] of chunks) {
          if (doomed.some(([d]) => d === id) && !again.has(id)) continue;
          assert.deepEqual(await again.get(id), blob);
        }
        const kept = chunks.filter(([id]) => again.has(id)).length;
        assert.equal(again.size, kept);
        assert.ok(kept >= chunks.length - doomed.length);
        assert.equal(again.damaged, 0);
        assert.deepEqual(await keysUnder(objects, `${prefix}journal/`), []);
        for (const key of await keysUnder(objects, `${prefix}index/`)) {
          const name = key.slice(`${prefix}index/`.length, -".idx".length);
          assert.ok((await keysUnder(objects, packKey(prefix, name))).length === 1, key);
          assert.equal(key, indexKey(prefix, name));
        }
        await again.close();
      }),
  });
}
