import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeB64, encodeB64, parseBoundedInt, splitParams } from "./_encoding.ts";

Deno.test("encodeB64() writes unpadded standard base64", () => {
  assert.deepEqual(encodeB64(new TextEncoder().encode("somesalt")), "c29tZXNhbHQ");
  assert.deepEqual(encodeB64(new Uint8Array([0xfb, 0xff])), "+/8");
});

Deno.test("decodeB64() round-trips any bytes", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    assert.deepEqual(decodeB64(encodeB64(bytes), "x", 0, 64), bytes);
  }));
});

Deno.test("decodeB64() rejects padding, whitespace, other alphabets and stray bits", () => {
  for (const bad of ["c29tZXNhbHQ=", "c29t ZXNh", "c29t\nZXNh", "-_8", "c", "c29tZXNhbHR"]) {
    assert.throws(() => decodeB64(bad, "salt", 0, 64), SyntaxError);
  }
});

Deno.test("decodeB64() bounds the decoded length", () => {
  assert.throws(() => decodeB64("c29tZXNhbHQ", "salt", 16, 64), RangeError);
  assert.throws(() => decodeB64("A".repeat(1000), "salt", 0, 64), RangeError);
});

Deno.test("parseBoundedInt() accepts canonical decimals in bounds only", () => {
  assert.deepEqual(parseBoundedInt("19456", "m", 1, 20000), 19456);
  for (const bad of ["", "01", "+1", "-1", "1e3", "1.0", " 1", "12345678901"]) {
    assert.throws(() => parseBoundedInt(bad, "m", 0, 2 ** 40), SyntaxError);
  }
  assert.throws(() => parseBoundedInt("0", "m", 1, 10), RangeError);
  assert.throws(() => parseBoundedInt("11", "m", 1, 10), RangeError);
});

Deno.test("splitParams() requires the keys in order", () => {
  assert.deepEqual(splitParams("m=1,t=2,p=3", ["m", "t", "p"], "x"), ["1", "2", "3"]);
  for (const bad of ["t=2,m=1,p=3", "m=1,t=2", "m=1,t=2,p=3,k=4", "m=1,t=2,p=3,"]) {
    assert.throws(() => splitParams(bad, ["m", "t", "p"], "x"), SyntaxError);
  }
});
