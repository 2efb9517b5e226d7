/**
 * Poly1305 in WebAssembly (`poly1305.wat`, assembled into `_poly1305.generated.ts`), for the
 * web back end's ChaCha20-Poly1305: the tag of RFC 8439's AEAD construction, fed straight from
 * the caller's buffers. The module is 1 KiB and compiles synchronously.
 *
 * @module
 */
import { POLY1305_WASM } from "./_poly1305.generated.ts";
import { instantiate } from "./_instance.ts";

interface Poly1305Exports {
  memory: WebAssembly.Memory;
  init(): void;
  blocks(at: number, length: number): void;
  finish(): void;
}

/** Where blocks are copied to in the module's memory (key at 0, tag at 32). */
const BLOCKS_AT = 64;
/** Bytes copied in per call: a multiple of 16 that fits the module's two pages. */
const BLOCKS_BYTES = 64 * 1024;

/** One Poly1305 instance (not shared between threads); each tag starts afresh. */
export class Poly1305 {
  readonly #exports: Poly1305Exports;
  readonly #memory: Uint8Array;

  constructor() {
    const { exports, memory } = instantiate<Poly1305Exports>(POLY1305_WASM);
    this.#exports = exports;
    this.#memory = memory;
  }

  /**
   * The tag of ChaCha20-Poly1305 (RFC 8439 §2.8) under the one-time key `oneTimeKey` (32 bytes):
   * Poly1305 of aad, zeros to 16, ciphertext, zeros to 16, and both lengths as 64-bit words.
   * The key's bytes in the module are zeroed before it returns.
   */
  aeadTag(oneTimeKey: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    const memory = this.#memory;
    memory.set(oneTimeKey, 0);
    this.#exports.init();
    this.#feedPadded(aad);
    this.#feedPadded(ciphertext);
    const lengths = new DataView(memory.buffer, BLOCKS_AT, 16);
    lengths.setBigUint64(0, BigInt(aad.length), true);
    lengths.setBigUint64(8, BigInt(ciphertext.length), true);
    this.#exports.blocks(BLOCKS_AT, 16);
    this.#exports.finish();
    const tag = memory.slice(32, 48);
    memory.fill(0, 0, 48);
    return tag;
  }

  /** Feeds `bytes` followed by zeros up to a multiple of 16. */
  #feedPadded(bytes: Uint8Array): void {
    const memory = this.#memory;
    for (let at = 0; at < bytes.length; at += BLOCKS_BYTES) {
      const piece = bytes.subarray(at, at + BLOCKS_BYTES);
      memory.set(piece, BLOCKS_AT);
      const padded = (piece.length + 15) & ~15;
      memory.fill(0, BLOCKS_AT + piece.length, BLOCKS_AT + padded);
      this.#exports.blocks(BLOCKS_AT, padded);
    }
  }
}
