import assert from "node:assert/strict";
import { PartBuffers } from "./_s3_pack_sink.ts";

Deno.test("PartBuffers reuses an uploaded part's buffer and keeps at most four spare", () => {
  const buffers = new PartBuffers(1024);
  const first = buffers.take();
  assert.equal(first.length, 1024);
  buffers.give(first);
  assert.equal(buffers.take(), first);
  const many = Array.from({ length: 6 }, () => buffers.take());
  many.forEach((buffer) => buffers.give(buffer));
  const again = Array.from({ length: 6 }, () => buffers.take());
  assert.equal(again.filter((buffer) => many.includes(buffer)).length, 4);
  buffers.give(new Uint8Array(10));
  assert.equal(buffers.take().length, 1024);
});
