import assert from "node:assert/strict";
import { findZeroRun, isZeroRange, ZERO_BLOCK } from "./_all_zero.ts";

Deno.test("isZeroRange() finds a non-zero byte at any place and offset", () => {
  const buffer = new Uint8Array(1037);
  for (const offset of [0, 1, 2, 3, 5]) {
    for (const length of [1, 2, 3, 4, 7, 8, 64, 1000]) {
      const bytes = buffer.subarray(offset, offset + length);
      assert.equal(isZeroRange(bytes, 0, length), true, `zeros at ${offset}+${length}`);
      for (let at = 0; at < length; at++) {
        bytes[at] = 0x80;
        assert.equal(isZeroRange(bytes, 0, length), false, `byte ${at} of ${offset}+${length}`);
        assert.equal(isZeroRange(bytes, at + 1, length), at + 1 < length, "a range after it");
        bytes[at] = 0;
      }
    }
  }
  assert.equal(isZeroRange(new Uint8Array(8), 3, 3), false, "nothing is no hole");
});

Deno.test("findZeroRun() finds runs of whole zero blocks at least minLength long", () => {
  const B = ZERO_BLOCK;
  const bytes = new Uint8Array(20 * B + 100);
  bytes[0] = 1; // block 0 holds data
  bytes[3 * B + 5] = 1; // block 3 too: blocks 1-2 are a short run
  bytes[12 * B] = 1; // blocks 4-11 are a long one; 13 to the end another
  assert.deepEqual(findZeroRun(bytes, 0, 4 * B), { start: 4 * B, end: 12 * B });
  assert.deepEqual(findZeroRun(bytes, 0, 2 * B), { start: B, end: 3 * B });
  assert.deepEqual(findZeroRun(bytes, 12 * B, 4 * B), { start: 13 * B, end: bytes.length });
  assert.equal(findZeroRun(bytes, 12 * B, 8 * B), null);
  assert.deepEqual(findZeroRun(new Uint8Array(10), 0, 4 * B), { start: 0, end: 10 }, "all zero");
  assert.equal(findZeroRun(new Uint8Array(10).fill(1), 0, 1), null);
});
