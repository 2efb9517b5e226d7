import assert from "node:assert/strict";
import { releaseBytes } from "./release_bytes.ts";

Deno.test("releaseBytes() empties a buffer the bytes own, and leaves views of shared ones alone", () => {
  const owned = new Uint8Array(1024).fill(1);
  releaseBytes(owned);
  assert.equal(owned.length, 0);
  assert.equal(owned.buffer.byteLength, 0);
  const shared = new Uint8Array(1024).fill(2);
  const view = shared.subarray(10, 20);
  releaseBytes(view);
  assert.equal(view.length, 10);
  assert.equal(shared[0], 2);
});
