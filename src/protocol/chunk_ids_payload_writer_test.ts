import assert from "node:assert/strict";
import { ChunkIdsPayloadWriter } from "./chunk_ids_payload_writer.ts";
import { decodeMessage } from "./messages.ts";
import { MessageType } from "./message_type.ts";

Deno.test("ChunkIdsPayloadWriter builds a payload that decodes as chunk_ids", () => {
  const ids = crypto.getRandomValues(new Uint8Array(3 * 32));
  for (const more of [true, false]) {
    const writer = new ChunkIdsPayloadWriter(5);
    writer.ids.set(ids);
    const payload = writer.finish(3, more);
    const frame = { type: MessageType.chunk_ids, requestId: 1, payload };
    assert.deepEqual(decodeMessage(frame), { type: "chunk_ids", payload: { ids, more } });
  }
});

Deno.test("ChunkIdsPayloadWriter refuses sizes that do not fit", () => {
  assert.throws(() => new ChunkIdsPayloadWriter(-1), RangeError);
  assert.throws(() => new ChunkIdsPayloadWriter(1_000_000), RangeError);
  assert.throws(() => new ChunkIdsPayloadWriter(2).finish(3, false), RangeError);
});
