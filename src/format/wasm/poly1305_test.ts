import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { chacha20 } from "@noble/ciphers/chacha.js";
import { assemble } from "../../../scripts/build_wasm.ts";
import { POLY1305_WASM } from "./_poly1305.generated.ts";
import { Poly1305 } from "./poly1305.ts";

Deno.test("the generated Poly1305 module is what poly1305.wat assembles to (deno task wasm)", async () => {
  const text = await Deno.readTextFile(new URL("./_poly1305.generated.ts", import.meta.url));
  assert.equal(text, await assemble("poly1305"));
  assert.ok(POLY1305_WASM.length > 0);
});

Deno.test("Poly1305.aeadTag() is node:crypto's ChaCha20-Poly1305 tag across the copy-in boundary", () => {
  const poly = new Poly1305();
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  for (const length of [0, 1, 15, 16, 17, 65_535, 65_536, 65_537, 200_000]) {
    for (const aadLength of [0, 13, 32]) {
      const plaintext = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff);
      const aad = new Uint8Array(aadLength).fill(aadLength);
      const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
      cipher.setAAD(aad, { plaintextLength: length });
      const ciphertext = new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final()]));
      const polyKey = chacha20(key, nonce, new Uint8Array(32), new Uint8Array(32), 0);
      assert.deepEqual(
        poly.aeadTag(polyKey, aad, ciphertext),
        new Uint8Array(cipher.getAuthTag()),
        `${length} bytes, ${aadLength} of AAD`,
      );
    }
  }
});
