import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { assemble } from "../../../scripts/build_wasm.ts";
import { CHACHA20_WASM } from "./_chacha20.generated.ts";
import { ChaCha20 } from "./chacha20.ts";

/** node:crypto's ChaCha20 of `input` from block `counter` (its IV is the counter, then the nonce). */
function nodeChaCha20(key: Uint8Array, nonce: Uint8Array, counter: number, input: Uint8Array) {
  const iv = new Uint8Array(16);
  new DataView(iv.buffer).setUint32(0, counter, true);
  iv.set(nonce, 4);
  return new Uint8Array(createCipheriv("chacha20", key, iv).update(input));
}

Deno.test("the generated ChaCha20 module is what chacha20.wat assembles to (deno task wasm)", async () => {
  const text = await Deno.readTextFile(new URL("./_chacha20.generated.ts", import.meta.url));
  assert.equal(text, await assemble("chacha20"));
  assert.ok(CHACHA20_WASM.length > 0);
});

Deno.test("ChaCha20.xor() is RFC 8439's §2.4.2 test vector", () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const nonce = Uint8Array.fromHex("000000000000004a00000000");
  const plaintext = new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const output = new Uint8Array(plaintext.length);
  new ChaCha20().xor(key, nonce, 1, plaintext, output);
  assert.equal(
    output.toHex(),
    "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d",
  );
});

Deno.test("ChaCha20.xor() is node:crypto's ChaCha20 across groups, pieces and counters, in place too", () => {
  const chacha = new ChaCha20();
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  for (const length of [0, 1, 63, 64, 65, 255, 256, 257, 65_535, 65_536, 65_537, 200_000]) {
    for (const counter of [0, 1, 7]) {
      const input = new Uint8Array(length).map((_, i) => (i * 131 + length) & 0xff);
      const expected = nodeChaCha20(key, nonce, counter, input);
      const output = new Uint8Array(length);
      chacha.xor(key, nonce, counter, input, output);
      assert.deepEqual(output, expected, `${length} bytes from block ${counter}`);
      chacha.xor(key, nonce, counter, input, input);
      assert.deepEqual(input, expected, `${length} bytes in place from block ${counter}`);
    }
  }
});
