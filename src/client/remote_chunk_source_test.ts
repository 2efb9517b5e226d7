import assert from "node:assert/strict";
import { IntegrityError } from "../errors.ts";
import { decodeMessage, encodeMessage, MessageType, type Payloads } from "../protocol/mod.ts";
import { BlobSealer, ChunkIdHasher } from "../format/blob_crypto.ts";
import { toHex } from "../format/chunk_id.ts";
import { deriveRepositoryKeys, newMasterKey } from "../format/master_key.ts";
import { type ChunkItem, type ChunkWant, MissingChunkError } from "./chunk_source.ts";
import { type ChunkFetcher, MAX_REPLY_BYTES, RemoteChunkSource } from "./remote_chunk_source.ts";

const keys = deriveRepositoryKeys(newMasterKey());

/** A fake server holding sealed chunks, answering at most `perReply` blobs per request, late. */
function fakeServer(chunks: Uint8Array[], perReply: number) {
  const hasher = new ChunkIdHasher(keys.idKey);
  const sealer = new BlobSealer(keys.dataKey);
  const blobs = new Map<string, Uint8Array>();
  const ids = chunks.map((plain) => {
    const id = hasher.id(plain);
    blobs.set(toHex(id), sealer.seal(id, plain, false));
    return id;
  });
  let calls = 0;
  const server: ChunkFetcher = {
    async getChunks(asked: Uint8Array[]): Promise<Payloads["chunks"]> {
      calls++;
      // Later requests answer sooner, so replies come back out of order.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 20 - calls * 3)));
      const found = asked.filter((id) => blobs.has(toHex(id)));
      const missing = asked.filter((id) => !blobs.has(toHex(id)));
      const sent = found.slice(0, perReply).map((id) => ({ id, blob: blobs.get(toHex(id))! }));
      // Through the wire codec, as a connection would: the reply is one fresh frame buffer.
      const payload = encodeMessage("chunks", { blobs: sent, missing });
      const reply = decodeMessage({ type: MessageType.chunks, payload });
      return reply.payload as Payloads["chunks"];
    },
  };
  return { server, ids, blobs, calls: () => calls };
}

function chunk(i: number, size: number): Uint8Array {
  return new Uint8Array(size).fill(i % 251).map((v, j) => (v + j) & 0xff);
}

/** `ids` as the chunks `fetch` wants, with `sizes` as their plaintext guesses if given. */
function wants(ids: Uint8Array[], sizes?: number[]): ChunkWant[] {
  return ids.map((id, i) => sizes === undefined ? { id } : { id, plainSize: sizes[i]! });
}

async function collect(source: RemoteChunkSource, ids: Uint8Array[]): Promise<ChunkItem[]> {
  const out: ChunkItem[] = [];
  for await (const plain of source.fetch(wants(ids))) out.push(plain);
  return out;
}

Deno.test("RemoteChunkSource.fetch() yields every chunk in order, duplicates included", async () => {
  const chunks = Array.from({ length: 50 }, (_, i) => chunk(i, 1000 + i));
  const { server, ids } = fakeServer(chunks, 1000);
  const asked = [...ids, ids[3]!, ids[0]!];
  const got = await collect(new RemoteChunkSource(server, keys, { idsPerRequest: 7 }), asked);
  assert.deepEqual(got, [...chunks, chunks[3]!, chunks[0]!]);
});

Deno.test("RemoteChunkSource.fetch() reads the wanted chunks lazily, only as far as its read-ahead", async () => {
  const chunks = Array.from({ length: 50 }, (_, i) => chunk(i, 1000));
  const { server, ids } = fakeServer(chunks, 1000);
  let read = 0;
  let closed = false;
  // 5,000 wants cycling over 50 chunks: repeats both within the read-ahead and far beyond it.
  function* cycling(): Generator<ChunkWant> {
    try {
      for (let i = 0; i < 5000; i++) {
        read++;
        yield { id: ids[i % 50]! };
      }
    } finally {
      closed = true;
    }
  }
  const source = new RemoteChunkSource(server, keys, { idsPerRequest: 8, requestsInFlight: 2 });
  let taken = 0;
  for await (const plain of source.fetch(cycling())) {
    assert.deepEqual(plain, chunks[taken % 50]);
    if (++taken === 120) break;
  }
  assert.ok(read <= 120 + 3 * 8, `${read} wants read for 120 taken`);
  assert.ok(closed, "stopping early closes the caller's iterator");
  assert.deepEqual(await collect(source, [...ids, ...ids, ...ids]), [
    ...chunks,
    ...chunks,
    ...chunks,
  ]);
});

Deno.test("RemoteChunkSource.fetch() yields the chunks read before the caller's iterator threw, then its error", async () => {
  const chunks = Array.from({ length: 30 }, (_, i) => chunk(i, 1000));
  const { server, ids } = fakeServer(chunks, 1000);
  function* failing(): Generator<ChunkWant> {
    for (const id of ids.slice(0, 20)) yield { id };
    throw new RangeError("unsafe entry");
  }
  const got: ChunkItem[] = [];
  await assert.rejects(async () => {
    for await (const plain of new RemoteChunkSource(server, keys).fetch(failing())) got.push(plain);
  }, (e) => e instanceof RangeError && e.message === "unsafe entry");
  assert.deepEqual(got, chunks.slice(0, 20));
});

Deno.test("RemoteChunkSource.fetch() never stalls when replies are cut short and the read-ahead is full", async () => {
  // Replies of at most 2 blobs, a tiny read-ahead budget: the chunk the consumer needs next was
  // left out of an early reply while later replies filled the budget.
  const chunks = Array.from({ length: 120 }, (_, i) => chunk(i, 4096));
  const { server, ids } = fakeServer(chunks, 2);
  const source = new RemoteChunkSource(server, keys, {
    idsPerRequest: 16,
    requestsInFlight: 4,
    aheadBytes: 8192,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("fetch stalled")), 10_000);
  });
  try {
    assert.deepEqual(await Promise.race([collect(source, ids), stalled]), chunks);
  } finally {
    clearTimeout(timer);
  }
});

Deno.test("RemoteChunkSource.fetch() yields an IntegrityError for each use of a chunk that does not verify or is missing, and goes on", async () => {
  const chunks = Array.from({ length: 5 }, (_, i) => chunk(i, 2000));
  const { server, ids, blobs } = fakeServer(chunks, 100);
  blobs.get(toHex(ids[2]!))![40]! ^= 1;
  blobs.delete(toHex(ids[1]!));
  const got = await collect(new RemoteChunkSource(server, keys, { idsPerRequest: 2 }), [
    ...ids,
    ids[2]!,
    ids[1]!,
    ids[4]!,
  ]);
  assert.equal(got.length, 8);
  for (const i of [0, 3, 4]) assert.deepEqual(got[i], chunks[i]);
  assert.deepEqual(got[7], chunks[4]);
  for (const i of [2, 5]) {
    assert.ok(got[i] instanceof IntegrityError && !(got[i] instanceof MissingChunkError));
  }
  for (const i of [1, 6]) {
    const item = got[i];
    assert.ok(item instanceof MissingChunkError, String(item));
    assert.match(item.message, /does not have it \(missing or damaged\)/);
  }
});

Deno.test("RemoteChunkSource.fetch() sizes requests by the plaintext guesses it is given", async () => {
  // After many small chunks the running average is small; a large file's chunks come next.
  const small = Array.from({ length: 64 }, (_, i) => chunk(i, 512));
  const large = Array.from({ length: 12 }, (_, i) => chunk(100 + i, 1024 * 1024));
  const { server, ids } = fakeServer([...small, ...large], 1000);
  const asked: number[] = [];
  const counting: ChunkFetcher = {
    getChunks(batch) {
      asked.push(batch.length);
      return server.getChunks(batch);
    },
  };
  const source = new RemoteChunkSource(counting, keys);
  const got: ChunkItem[] = [];
  for await (const plain of source.fetch(wants(ids.slice(0, 64)))) got.push(plain);
  asked.length = 0;
  const sizes = large.map((plain) => plain.length);
  for await (const plain of source.fetch(wants(ids.slice(64), sizes))) got.push(plain);
  assert.deepEqual(got, [...small, ...large]);
  assert.ok(asked.every((count) => count <= 4), `requests of ${asked} ids, at most 4 MiB each`);
});

Deno.test("RemoteChunkSource asks for replyBytes of blobs a request, and refuses more than half a frame", async () => {
  const large = Array.from({ length: 24 }, (_, i) => chunk(200 + i, 1024 * 1024));
  const { server, ids } = fakeServer(large, 1000);
  const asked: number[] = [];
  const counting: ChunkFetcher = {
    getChunks(batch) {
      asked.push(batch.length);
      return server.getChunks(batch);
    },
  };
  const source = new RemoteChunkSource(counting, keys, {
    replyBytes: MAX_REPLY_BYTES,
    requestsInFlight: 4,
    aheadBytes: 4 * MAX_REPLY_BYTES,
  });
  const got: ChunkItem[] = [];
  const sizes = large.map((plain) => plain.length);
  for await (const plain of source.fetch(wants(ids, sizes))) got.push(plain);
  assert.deepEqual(got, large);
  assert.deepEqual(asked, [8, 8, 8], "8 MiB of 1 MiB chunks a request");
  for (const replyBytes of [0, MAX_REPLY_BYTES + 1, 1.5]) {
    assert.throws(() => new RemoteChunkSource(counting, keys, { replyBytes }), RangeError);
  }
});

Deno.test("RemoteChunkSource.fetch() with open workers yields the same chunks and failures", async () => {
  const chunks = Array.from({ length: 40 }, (_, i) => chunk(i, 3000 + i));
  const { server, ids, blobs } = fakeServer(chunks, 1000);
  const source = new RemoteChunkSource(server, keys, { idsPerRequest: 6, openWorkers: 1 });
  try {
    assert.deepEqual(await collect(source, [...ids, ids[5]!]), [...chunks, chunks[5]!]);
    blobs.get(toHex(ids[30]!))![40]! ^= 1;
    const got = await collect(source, ids);
    assert.equal(got.length, 40);
    const bad = got[30];
    assert.ok(bad instanceof IntegrityError && /Cannot verify chunk/.test(bad.message));
    assert.deepEqual(got.slice(31), chunks.slice(31), "the chunks after the bad one follow");
  } finally {
    source.close();
  }
  assert.throws(() => new RemoteChunkSource(server, keys, { openWorkers: -1 }), RangeError);
});
