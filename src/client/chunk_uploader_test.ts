import assert from "node:assert/strict";
import type { IdentifiedBlob } from "../protocol/mod.ts";
import type { BurrowClient } from "./burrow_client.ts";
import { ChunkUploader } from "./chunk_uploader.ts";

/** The one call the uploader makes, recording what each `put_chunks` carried. */
function recordingClient(frames: IdentifiedBlob[][]): BurrowClient {
  return {
    putChunks(blobs: IdentifiedBlob[]) {
      frames.push(blobs.map((b) => ({ id: b.id.slice(), blob: b.blob })));
      const bytes = blobs.reduce((n, b) => n + b.blob.length, 0);
      return {
        written: Promise.resolve(),
        reply: Promise.resolve({ stored: blobs.length, bytes }),
      };
    },
  } as unknown as BurrowClient;
}

const blob = (seed: number, length = 10) => ({
  id: new Uint8Array(32).fill(seed),
  blob: new Uint8Array(length).fill(seed),
});

Deno.test("ChunkUploader.send() sends each id once across calls, and hasSent() knows which", async () => {
  const frames: IdentifiedBlob[][] = [];
  const uploader = new ChunkUploader(recordingClient(frames));
  assert.equal(uploader.hasSent(blob(1).id), false);
  await uploader.send([blob(1), blob(2), blob(1)]);
  await uploader.send([blob(2), blob(3)]);
  // A caller's buffer reused for another id after the call: the uploader kept its own copy.
  const reused = blob(4);
  await uploader.send([reused]);
  reused.id.fill(5);
  await uploader.finish();
  const sent = frames.flat().map((b) => b.id[0]);
  assert.deepEqual(sent, [1, 2, 3, 4]);
  for (const seed of [1, 2, 3, 4]) assert.equal(uploader.hasSent(blob(seed).id), true);
  assert.equal(uploader.hasSent(blob(5).id), false);
  assert.equal(uploader.bytesSent, 40);
  assert.equal(uploader.bytesStored, 40);
});

Deno.test("ChunkUploader.send() sends nothing more once the server refused a batch", async () => {
  const frames: IdentifiedBlob[][] = [];
  const refusal = new Error("Cannot store chunks: quota exceeded: 10 B of 10 B stored");
  const client = {
    putChunks(blobs: IdentifiedBlob[]) {
      frames.push(blobs);
      return { written: Promise.resolve(), reply: Promise.reject(refusal) };
    },
  } as unknown as BurrowClient;
  const uploader = new ChunkUploader(client);
  await uploader.send([blob(1)]);
  await new Promise((resolve) => setTimeout(resolve, 0));
  await assert.rejects(uploader.send([blob(2)]), (e) => e === refusal);
  await assert.rejects(uploader.finish(), (e) => e === refusal);
  assert.equal(frames.length, 1, "the second batch was not sent");
});
