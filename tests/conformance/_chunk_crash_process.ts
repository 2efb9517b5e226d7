/**
 * Helper process of the chunk store crash test: opens a pack store (or, for a DIR of
 * `s3:PREFIX`, an S3 store under PREFIX of the test bucket), puts and flushes the first
 * list of chunks, puts the second, waits a moment (so some background seals run, or are cut off
 * midway), then exits without closing, as a crash would.
 *
 * Usage: deno run -A _chunk_crash_process.ts DIR PACK_TARGET_BYTES WAIT_MS < chunks.json
 * where chunks.json is `{ "flushed": [[idHex, blobHex], …], "unflushed": […] }`.
 *
 * @module
 */
import { PackChunkStore } from "../../src/store/pack_chunk_store.ts";
import { S3ChunkStore } from "../../src/store/s3/s3_chunk_store.ts";
import { testObjectStore } from "../_s3_env.ts";

const [dir = "", target = "", wait = "0"] = Deno.args;
const input = JSON.parse(await new Response(Deno.stdin.readable).text()) as Record<
  "flushed" | "unflushed",
  [string, string][]
>;
const bytes = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
const store = dir.startsWith("s3:")
  ? await S3ChunkStore.open(await testObjectStore(), dir.slice(3), {
    packTargetBytes: Number(target),
  })
  : await PackChunkStore.open(dir, { packTargetBytes: Number(target) });
for (const [id, blob] of input.flushed) await store.put(bytes(id), bytes(blob));
await store.flush();
for (const [id, blob] of input.unflushed) await store.put(bytes(id), bytes(blob));
await new Promise((resolve) => setTimeout(resolve, Number(wait)));
Deno.exit(0);
