import assert from "node:assert/strict";
import { isAllZero } from "./_all_zero.ts";

Deno.test("isAllZero() finds a non-zero byte at any place and offset", () => {
  const buffer = new Uint8Array(1037);
  for (const offset of [0, 1, 2, 3, 5]) {
    for (const length of [1, 2, 3, 4, 7, 8, 64, 1000]) {
      const bytes = buffer.subarray(offset, offset + length);
      assert.equal(isAllZero(bytes), true, `zeros at ${offset}+${length}`);
      for (let at = 0; at < length; at++) {
        bytes[at] = 0x80;
        assert.equal(isAllZero(bytes), false, `byte ${at} of ${offset}+${length}`);
        bytes[at] = 0;
      }
    }
  }
  assert.equal(isAllZero(new Uint8Array(0)), false, "nothing is no hole");
});
