import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { HmacSha256 } from "./_hmac_sha256.ts";

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("HmacSha256.digest() matches RFC 4231 test cases 1, 2 and 6", () => {
  const cases: [Uint8Array, Uint8Array, string][] = [
    [
      new Uint8Array(20).fill(0x0b),
      text("Hi There"),
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ],
    [
      text("Jefe"),
      text("what do ya want for nothing?"),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ],
    [
      new Uint8Array(131).fill(0xaa),
      text("Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ],
  ];
  for (const [key, message, expected] of cases) {
    assert.equal(new HmacSha256(key).digest(message).toHex(), expected);
  }
});

Deno.test("HmacSha256.digest() agrees with createHmac, message after message", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.uint8Array({ maxLength: 5000 }), { minLength: 1, maxLength: 5 }),
      (key, messages) => {
        const hmac = new HmacSha256(key);
        for (const message of messages) {
          const expected = createHmac("sha256", key).update(message).digest("hex");
          assert.equal(hmac.digest(message).toHex(), expected);
        }
      },
    ),
  );
});
