/**
 * The {@link Primitives} of the web page, in JavaScript and WebAssembly that run in any browser
 * (and in Deno, where the conformance suite runs it beside the node back end): ChaCha20 and
 * Poly1305 in the project's own WebAssembly (`wasm/chacha20.ts`, `wasm/poly1305.ts`: WebCrypto
 * has no ChaCha20, and `@noble/ciphers` in JavaScript took most of the time of opening a blob;
 * noble's ChaCha20 stays for browsers without WebAssembly SIMD), SHA-256 and HMAC from
 * `hash-wasm` once `loadWebAssembly` has run (from `@noble/hashes` until then: Chromium ran
 * noble's SHA-256 at a sixth of its speed in Deno), HKDF from `@noble/hashes`, zstd from
 * `fzstd`. The page's bundle maps `#primitives` to this module.
 *
 * Every call is synchronous, WebCrypto's promises aside: sync calls keep the repository format
 * one shared, synchronous piece of code. The page opens many blobs only in its download worker,
 * so these calls do not block its UI.
 *
 * fzstd trusts the sizes a frame declares, so every frame's header is checked first
 * (`_zstd_frame_limits.ts`) and the output is counted as it streams out, refused past the
 * caller's bound before it is gathered.
 *
 * @module
 */

import { concatBytes } from "../concat_bytes.ts";
import { chacha20 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { Decompress } from "fzstd";
import { createSHA256, type IHasher } from "hash-wasm";
import { IntegrityError } from "../errors.ts";
import { constantTimeEqual, ownedBytes } from "./_bytes.ts";
import { withContractChecks } from "./_checked_primitives.ts";
import * as contract from "./primitives.ts";
import { ChaCha20 } from "./wasm/chacha20.ts";
import { Poly1305 } from "./wasm/poly1305.ts";

/** hash-wasm's SHA-256, once `loadWebAssembly` has run; one instance, used only synchronously. */
let wasmSha256: IHasher | null = null;

async function loadWebAssembly(): Promise<void> {
  if (wasmSha256 !== null) return;
  try {
    wasmSha256 = await createSHA256();
  } catch {
    // noble's SHA-256 gives the same digests, more slowly.
  }
}

function sha256Of(message: Uint8Array): Uint8Array {
  if (wasmSha256 === null) return sha256(message);
  return wasmSha256.init().update(message).digest("binary");
}

/**
 * HMAC-SHA-256 (RFC 2104) on hash-wasm's SHA-256: the states after the key's inner and outer
 * blocks are saved once and loaded for each message.
 */
class WasmHmacSha256 implements contract.KeyedHmac {
  readonly #sha: IHasher;
  readonly #inner: Uint8Array;
  readonly #outer: Uint8Array;

  constructor(sha: IHasher, key: Uint8Array) {
    this.#sha = sha;
    const block = new Uint8Array(64);
    block.set(key.length > 64 ? sha256Of(key) : key);
    this.#inner = this.#keyedState(block, 0x36);
    this.#outer = this.#keyedState(block, 0x5c);
    block.fill(0);
  }

  digest(message: Uint8Array): Uint8Array {
    const inner = this.#sha.load(this.#inner).update(message).digest("binary");
    return this.#sha.load(this.#outer).update(inner).digest("binary");
  }

  #keyedState(block: Uint8Array, pad: number): Uint8Array {
    const padded = block.map((byte) => byte ^ pad);
    const state = this.#sha.init().update(padded).save();
    padded.fill(0);
    return state;
  }
}

/** HMAC-SHA-256 with the keyed state prepared once and cloned for each message. */
class WebHmacSha256 implements contract.KeyedHmac {
  readonly #keyed: ReturnType<typeof hmac.create>;

  constructor(key: Uint8Array) {
    this.#keyed = hmac.create(sha256, key);
  }

  digest(message: Uint8Array): Uint8Array {
    return this.#keyed.clone().update(message).digest();
  }
}

let poly1305: Poly1305 | null = null;
/** The WebAssembly ChaCha20, made on first use; null where this browser cannot run it. */
let wasmChaCha20: ChaCha20 | null | undefined;

/** ChaCha20 of `input` into `output` from block `counter`, in WebAssembly where it runs. */
function chacha20Xor(
  key: Uint8Array,
  nonce: Uint8Array,
  counter: number,
  input: Uint8Array,
  output: Uint8Array,
): Uint8Array {
  if (wasmChaCha20 === undefined) {
    try {
      wasmChaCha20 = new ChaCha20();
    } catch {
      wasmChaCha20 = null;
    }
  }
  if (wasmChaCha20 === null) return chacha20(key, nonce, input, output, counter);
  wasmChaCha20.xor(key, nonce, counter, input, output);
  return output;
}

/** The one-time Poly1305 key of RFC 8439 §2.6: the first 32 bytes of ChaCha20's block 0. */
function oneTimeKey(key: Uint8Array, nonce: Uint8Array): Uint8Array {
  return chacha20Xor(key, nonce, 0, new Uint8Array(32), new Uint8Array(32));
}

/** The AEAD tag of `ciphertext` (RFC 8439 §2.8); the one-time key is zeroed after use. */
function aeadTag(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array) {
  const polyKey = oneTimeKey(key, nonce);
  poly1305 ??= new Poly1305();
  const tag = poly1305.aeadTag(polyKey, aad, ciphertext);
  polyKey.fill(0);
  return tag;
}

/**
 * The ciphertext of `sealed` once its tag is checked: nothing is decrypted before that. Key and
 * nonce lengths, and a sealed input shorter than a tag, were refused before this.
 */
function authenticCiphertext(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array {
  const ciphertext = sealed.subarray(0, sealed.length - 16);
  const tag = sealed.subarray(sealed.length - 16);
  if (!constantTimeEqual(aeadTag(key, nonce, aad, ciphertext), tag)) throw contract.notAuthentic();
  return ciphertext;
}

/** Decodes with fzstd, counting the output as it streams out (the frames are checked already). */
function zstdDecompress(data: Uint8Array, maxSize: number): Uint8Array {
  const pieces: Uint8Array[] = [];
  let total = 0;
  const decoder = new Decompress((piece) => {
    total += piece.length;
    if (total > maxSize) throw contract.outputTooLarge(maxSize);
    pieces.push(piece);
  });
  try {
    decoder.push(data, true);
  } catch (error) {
    if (error instanceof IntegrityError) throw error;
    throw contract.damagedZstd(error);
  }
  return pieces.length === 1 ? ownedBytes(pieces[0]!) : concatBytes(pieces);
}

/** The primitives in plain JavaScript for browsers (see the module comment). */
export const primitives: contract.Primitives = withContractChecks({
  name: "web",
  sha256: sha256Of,
  hmacSha256: (key) =>
    wasmSha256 === null ? new WebHmacSha256(key) : new WasmHmacSha256(wasmSha256, key),
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  sealChaCha20Poly1305(key, nonce, aad, plaintext, output) {
    // Key, nonce and output lengths were checked by `withContractChecks`.
    const ciphertext = output.subarray(0, plaintext.length);
    chacha20Xor(key, nonce, 1, plaintext, ciphertext);
    output.set(aeadTag(key, nonce, aad, ciphertext), plaintext.length);
  },
  openChaCha20Poly1305(key, nonce, aad, sealed) {
    const ciphertext = authenticCiphertext(key, nonce, aad, sealed);
    return chacha20Xor(key, nonce, 1, ciphertext, new Uint8Array(ciphertext.length));
  },
  openChaCha20Poly1305InPlace(key, nonce, aad, sealed) {
    const ciphertext = authenticCiphertext(key, nonce, aad, sealed);
    return chacha20Xor(key, nonce, 1, ciphertext, ciphertext);
  },
  zstdDecompress,
  loadWebAssembly,
});
