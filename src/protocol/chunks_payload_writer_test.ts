import assert from "node:assert/strict";
import fc from "fast-check";
import { ChunksPayloadWriter } from "./chunks_payload_writer.ts";
import { MessageType } from "./message_type.ts";
import { decodeMessage, encodeMessage } from "./messages.ts";
import type { Payloads } from "./payloads.ts";

const id = fc.uint8Array({ minLength: 32, maxLength: 32 });
const blob = fc.record({ id, blob: fc.uint8Array({ minLength: 46, maxLength: 300 }) }, {
  noNullPrototype: true,
});

function decodeChunks(payload: Uint8Array): Payloads["chunks"] {
  return decodeMessage({ type: MessageType.chunks, payload }).payload as Payloads["chunks"];
}

Deno.test("ChunksPayloadWriter builds the payload encodeMessage would, leaving out blobs that fail to fill", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(blob, fc.boolean()), { maxLength: 8 }),
      fc.array(id, { maxLength: 4 }),
      async (planned, missing) => {
        const bytes = planned.reduce((sum, [b]) => sum + b.blob.length, 0);
        const writer = new ChunksPayloadWriter(bytes, planned.length, planned.length + 4);
        const failed: Uint8Array[] = [];
        for (const [{ id, blob }, fails] of planned) {
          const fill = (target: Uint8Array) => {
            target.set(blob);
            return fails ? Promise.reject(new Error("damaged")) : Promise.resolve();
          };
          await writer.addBlob(id, blob.length, fill).catch(() => failed.push(id));
        }
        for (const id of [...missing, ...failed]) writer.addMissing(id);
        const kept = planned.filter(([, fails]) => !fails).map(([b]) => b);
        const expected = encodeMessage("chunks", { blobs: kept, missing: [...missing, ...failed] });
        const built = writer.finish();
        assert.deepEqual(built, expected);
        assert.deepEqual(decodeChunks(built).blobs.length, kept.length);
      },
    ),
  );
});

Deno.test("ChunksPayloadWriter refuses what does not fit its size, bad lengths and misuse", async () => {
  const ids = [1, 2, 3].map((n) => new Uint8Array(32).fill(n));
  const writer = new ChunksPayloadWriter(100, 2, 1);
  const fill = () => Promise.resolve();
  await assert.rejects(writer.addBlob(ids[0]!, 45, fill), RangeError); // below a sealed blob's least
  await assert.rejects(writer.addBlob(ids[0]!, 101, fill), RangeError);
  await assert.rejects(writer.addBlob(new Uint8Array(31), 50, fill), RangeError);
  await writer.addBlob(ids[0]!, 50, fill);
  await assert.rejects(writer.addBlob(ids[1]!, 51, fill), RangeError, "50 bytes were left");
  // One blob at a time: its place is not settled while it is being filled.
  let release = () => {};
  const slow = writer.addBlob(ids[1]!, 50, () => new Promise<void>((r) => release = r));
  await assert.rejects(writer.addBlob(ids[2]!, 46, fill), /still being filled/);
  assert.throws(() => writer.addMissing(ids[2]!), /still being filled/);
  release();
  await slow;
  await assert.rejects(writer.addBlob(ids[2]!, 46, fill), RangeError, "two blobs were planned");
  writer.addMissing(ids[2]!);
  assert.throws(() => writer.addMissing(ids[2]!), RangeError);
  const payload = decodeChunks(writer.finish());
  assert.deepEqual(payload.blobs.map((b) => b.id), ids.slice(0, 2));
  assert.deepEqual(payload.missing, [ids[2]]);
  assert.throws(() => writer.finish(), /finish\(\) was called/);
  assert.throws(() => new ChunksPayloadWriter(17 * 1024 * 1024, 1, 0), RangeError);
  assert.throws(() => new ChunksPayloadWriter(10, 1, 1025), RangeError);
  assert.throws(() => new ChunksPayloadWriter(-1, 1, 0), RangeError);
});
