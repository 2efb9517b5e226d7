/**
 * Fills a user's chunk store with synthetic chunks, for benchmarks of large repositories: random
 * 32-byte ids and random blobs written straight through `PackChunkStore` (so packs and indexes are
 * exactly what the server writes), with the server stopped. The server never opens a blob, so
 * random bytes stand in for sealed ones; no snapshot names them.
 *
 * Usage: deno run -A scripts/bench/_seed_chunks.ts STORE_DIR COUNT
 *   (STORE_DIR is DATA/repos/NAME/chunks; prints one line: chunks, seconds)
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { PackChunkStore } from "../../src/store/pack_chunk_store.ts";

/** Bytes of each synthetic blob (the size of a small sealed chunk). */
const BLOB_BYTES = 64;
/** Packs are sealed at this size, so the store has many index files, as a real one does. */
const PACK_BYTES = 1024 * 1024;
/** Ids drawn at once. */
const BATCH = 4096;

/** Puts `count` random chunks into the store in `dir`, then closes it (flushed, durable). */
export async function seedChunks(dir: string, count: number): Promise<void> {
  const store = await PackChunkStore.open(dir, { packTargetBytes: PACK_BYTES });
  try {
    const ids = new Uint8Array(BATCH * 32);
    const blobs = new Uint8Array(BATCH * BLOB_BYTES);
    for (let done = 0; done < count; done += BATCH) {
      fillRandom(ids);
      fillRandom(blobs);
      for (let i = 0; i < Math.min(BATCH, count - done); i++) {
        const blob = blobs.subarray(i * BLOB_BYTES, (i + 1) * BLOB_BYTES);
        await store.put(ids.subarray(i * 32, i * 32 + 32), blob);
      }
    }
  } finally {
    await store.close();
  }
}

/** Random bytes in all of `bytes` (getRandomValues gives at most 64 KiB a call). */
function fillRandom(bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, at + 65536));
  }
}

if (import.meta.main) {
  const [dir, count] = Deno.args;
  if (dir === undefined || !/^[1-9][0-9]*$/.test(count ?? "")) {
    console.error("usage: deno run -A scripts/bench/_seed_chunks.ts STORE_DIR COUNT");
    Deno.exit(2);
  }
  const started = performance.now();
  await seedChunks(dir, Number(count));
  console.log(`${count} chunks, ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
