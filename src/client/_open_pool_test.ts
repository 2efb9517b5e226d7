import assert from "node:assert/strict";
import { isolatedTest } from "../../tests/_testing.ts";
import { BlobSealer, ChunkIdHasher } from "../format/blob_crypto.ts";
import { compressChunk } from "../format/compression.ts";
import { deriveRepositoryKeys, newMasterKey } from "../format/master_key.ts";
import { OpenPool } from "./_open_pool.ts";
import { settlesWithin, UNREADABLE_REPLY_WORKER } from "../../tests/workers/fixtures.ts";

const keys = deriveRepositoryKeys(newMasterKey());
const CRASHING_WORKER = new URL("./testdata/crashing_open_worker.ts", import.meta.url).href;

/** Chunks sealed as a push seals them, packed into one buffer as a `chunks` frame holds them. */
function sealedInOneBuffer(chunks: Uint8Array[]) {
  const hasher = new ChunkIdHasher(keys.idKey);
  const sealer = new BlobSealer(keys.dataKey);
  const parts = chunks.map((plain) => {
    const id = hasher.id(plain);
    const { data, compressed } = compressChunk(plain);
    return { id, blob: sealer.seal(id, data, compressed) };
  });
  const frame = new Uint8Array(parts.reduce((sum, p) => sum + 32 + p.blob.length, 0));
  let at = 0;
  const blobs = parts.map(({ id, blob }) => {
    frame.set(id, at);
    frame.set(blob, at + 32);
    const views = {
      id: frame.subarray(at, at + 32),
      blob: frame.subarray(at + 32, at + 32 + blob.length),
    };
    at += 32 + blob.length;
    return views;
  });
  return { frame, blobs };
}

Deno.test("OpenPool.open() verifies each blob on a worker and moves the frame there", async () => {
  const text = new TextEncoder().encode("compressible text ".repeat(2000));
  const random = crypto.getRandomValues(new Uint8Array(50_000));
  const { frame, blobs } = sealedInOneBuffer([text, random, new Uint8Array(10)]);
  blobs[2]!.blob[40]! ^= 1; // damaged in transit
  const pool = new OpenPool(keys, 2);
  try {
    const results = await pool.open(blobs, [frame.buffer]);
    assert.equal(frame.buffer.byteLength, 0, "the frame moved to the worker");
    assert.deepEqual(results[0], { plain: text });
    assert.deepEqual(results[1], { plain: random });
    const failure = results[2]!;
    assert.ok("failure" in failure && /does not authenticate/.test(failure.failure));
  } finally {
    pool.close();
  }
});

isolatedTest(
  "OpenPool.open() rejects once a worker crashed, and after close()",
  import.meta.url,
  /Uncaught \(in worker "burrow-open"\) Error: simulated opener crash/,
  async () => {
    const { blobs } = sealedInOneBuffer([new Uint8Array(100)]);
    const crashing = new OpenPool(keys, 1, CRASHING_WORKER);
    try {
      await assert.rejects(crashing.open(blobs), /a worker crashed/);
      await assert.rejects(crashing.open(blobs), /a worker crashed/);
    } finally {
      crashing.close();
    }
    const pool = new OpenPool(keys, 1);
    pool.close();
    await assert.rejects(pool.open(blobs), /were stopped/);
  },
);

Deno.test("OpenPool.open() rejects, not hangs, when a worker's reply cannot be read", async () => {
  const { blobs } = sealedInOneBuffer([new Uint8Array(100)]);
  const pool = new OpenPool(keys, 1, UNREADABLE_REPLY_WORKER);
  try {
    await assert.rejects(settlesWithin(pool.open(blobs), 10_000), /reply could not be read/);
    await assert.rejects(pool.open(blobs), /reply could not be read/);
  } finally {
    pool.close();
  }
});

Deno.test("OpenPool() refuses a worker count below 1", () => {
  assert.throws(() => new OpenPool(keys, 0), RangeError);
  assert.throws(() => new OpenPool(keys, 1.5), RangeError);
});
