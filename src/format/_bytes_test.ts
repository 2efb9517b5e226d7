import assert from "node:assert/strict";
import fc from "fast-check";
import { constantTimeEqual } from "./_bytes.ts";

Deno.test("constantTimeEqual() is true exactly for equal bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
      const same = a.length === b.length && a.every((byte, i) => byte === b[i]);
      assert.equal(constantTimeEqual(a, b), same);
      assert.equal(constantTimeEqual(a, a.slice()), true);
    }),
  );
  const id = new Uint8Array(32).fill(7);
  for (let at = 0; at < 32; at++) {
    const other = id.slice();
    other[at] = 8;
    assert.equal(constantTimeEqual(id, other), false);
  }
  assert.equal(constantTimeEqual(id, id.subarray(1)), false);
});
