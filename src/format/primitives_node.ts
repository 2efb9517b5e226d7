/**
 * The {@link Primitives} of the command line and the server: node:crypto (CPU instructions for
 * SHA-256, the fastest ChaCha20-Poly1305 here) and zstd from a WebAssembly decoder once loaded,
 * else node:zlib. deno.json maps `#primitives` to this module.
 *
 * @module
 */

import { createCipheriv, createDecipheriv, createHash, type Hash, hkdfSync } from "node:crypto";
import { zstdDecompressSync } from "node:zlib";
import { ownedBytes } from "./_bytes.ts";
import { withContractChecks } from "./_checked_primitives.ts";
import { releaseBytes } from "../release_bytes.ts";
import * as contract from "./primitives.ts";

const HMAC_BLOCK_BYTES = 64;
const CHACHA = "chacha20-poly1305";
const AEAD_OPTIONS = { authTagLength: contract.AEAD_TAG_BYTES } as const;

/**
 * HMAC-SHA-256 with the key's inner and outer states computed once and copied for each message,
 * which is cheaper than `createHmac` per call for small chunks (docs/PERFORMANCE.md).
 */
class NodeHmacSha256 implements contract.KeyedHmac {
  readonly #inner: Hash;
  readonly #outer: Hash;

  constructor(key: Uint8Array) {
    const block = new Uint8Array(HMAC_BLOCK_BYTES);
    block.set(key.length > HMAC_BLOCK_BYTES ? createHash("sha256").update(key).digest() : key);
    const pad = new Uint8Array(HMAC_BLOCK_BYTES);
    for (let i = 0; i < HMAC_BLOCK_BYTES; i++) pad[i] = block[i]! ^ 0x36;
    this.#inner = createHash("sha256").update(pad);
    for (let i = 0; i < HMAC_BLOCK_BYTES; i++) pad[i] = block[i]! ^ 0x5c;
    this.#outer = createHash("sha256").update(pad);
    block.fill(0);
    pad.fill(0);
  }

  digest(message: Uint8Array): Uint8Array {
    const innerDigest = this.#inner.copy().update(message).digest();
    return new Uint8Array(this.#outer.copy().update(innerDigest).digest());
  }
}

/** The WebAssembly zstd decoder, once `loadWebAssembly` has run. */
let wasmDecoder:
  | { decompress(data: Uint8Array, options: { defaultHeapSize: number }): Uint8Array }
  | null = null;

/**
 * Loads the WebAssembly zstd decoder. A pull calls it first: node:zlib's sync API makes a native
 * engine per call that is freed only when V8 collects its handle, and 20,000 small chunks left
 * ~100 MiB of them waiting; the WebAssembly decoder reuses its own memory (20,000 chunks:
 * +1 MiB) at about the same speed.
 */
async function loadWebAssembly(): Promise<void> {
  if (wasmDecoder !== null) return;
  try {
    const zstd = await import("@bokuweb/zstd-wasm");
    await zstd.init();
    wasmDecoder = zstd;
  } catch {
    // node:zlib decodes the same data, with more memory: a missing .wasm file costs no data.
  }
}

/**
 * Whether a zstd frame leaves its content size out, as node:zlib writes them. The WebAssembly
 * decoder is given only those: it then decodes into `maxSize` bytes and refuses more, whereas it
 * would trust a size written in the frame.
 */
function noContentSize(data: Uint8Array): boolean {
  return data.length > 4 && data[0] === 0x28 && data[1] === 0xb5 && data[2] === 0x2f &&
    data[3] === 0xfd && ((data[4] ?? 0) & 0xe0) === 0;
}

/** ZSTD_error_dstSize_tooSmall: the output would not fit. */
const ZSTD_DST_TOO_SMALL = 70;

/** Decodes with the WebAssembly decoder when loaded and the frame suits it, else node:zlib. */
function zstdDecompress(data: Uint8Array, maxSize: number): Uint8Array {
  if (wasmDecoder !== null && maxSize > 0 && noContentSize(data)) {
    try {
      return wasmDecoder.decompress(data, { defaultHeapSize: maxSize });
    } catch (error) {
      const code = Number(/code -?(\d+)/.exec(String(error))?.[1]);
      if (code === ZSTD_DST_TOO_SMALL) throw contract.outputTooLarge(maxSize);
      throw contract.damagedZstd(error);
    }
  }
  let output: Uint8Array;
  try {
    // node:zlib refuses a maxOutputLength of 0; the length check below covers that case.
    output = zstdDecompressSync(data, { maxOutputLength: Math.max(1, maxSize) });
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
      throw contract.outputTooLarge(maxSize);
    }
    throw contract.damagedZstd(error);
  }
  if (output.length > maxSize) throw contract.outputTooLarge(maxSize);
  return ownedBytes(output);
}

/** The primitives on node:crypto and node:zlib (see the module comment). */
export const primitives: contract.Primitives = withContractChecks({
  name: "node",
  sha256: (message) => new Uint8Array(createHash("sha256").update(message).digest()),
  hmacSha256: (key) => new NodeHmacSha256(key),
  hkdfSha256: (ikm, salt, info, length) =>
    new Uint8Array(hkdfSync("sha256", ikm, salt, info, length)),
  sealChaCha20Poly1305(key, nonce, aad, plaintext, output) {
    const cipher = createCipheriv(CHACHA, key, nonce, AEAD_OPTIONS);
    cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const ciphertext = cipher.update(plaintext);
    if (ciphertext.length !== plaintext.length) {
      throw new Error(`Cannot seal: the cipher returned ${ciphertext.length} bytes`);
    }
    output.set(ciphertext);
    releaseBytes(ciphertext);
    cipher.final();
    output.set(cipher.getAuthTag(), plaintext.length);
  },
  openChaCha20Poly1305(key, nonce, aad, sealed) {
    const tagAt = sealed.length - contract.AEAD_TAG_BYTES;
    const decipher = createDecipheriv(CHACHA, key, nonce, AEAD_OPTIONS);
    decipher.setAAD(aad, { plaintextLength: tagAt });
    decipher.setAuthTag(sealed.subarray(tagAt));
    const plaintext = ownedBytes(decipher.update(sealed.subarray(0, tagAt)));
    try {
      decipher.final();
    } catch (error) {
      plaintext.fill(0);
      throw contract.notAuthentic(error);
    }
    return plaintext;
  },
  openChaCha20Poly1305InPlace(key, nonce, aad, sealed) {
    // node:crypto decrypts into a buffer of its own; writing it back would only add a copy.
    return this.openChaCha20Poly1305(key, nonce, aad, sealed);
  },
  zstdDecompress,
  loadWebAssembly,
});
