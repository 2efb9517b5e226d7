import assert from "node:assert/strict";
import { concatBytes } from "./concat_bytes.ts";

Deno.test("concatBytes() joins views in order into a buffer of their own", () => {
  const shared = new Uint8Array([1, 2, 3, 4, 5]);
  const joined = concatBytes([shared.subarray(1, 3), new Uint8Array(0), shared.subarray(4)]);
  assert.deepEqual([...joined], [2, 3, 5]);
  assert.equal(joined.buffer.byteLength, 3);
  assert.deepEqual(concatBytes([]), new Uint8Array(0));
});
