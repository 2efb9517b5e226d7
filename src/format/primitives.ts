/**
 * The primitives the repository format is built on (SHA-256, HMAC-SHA-256, HKDF-SHA-256,
 * ChaCha20-Poly1305, bounded zstd decoding), behind one interface so that the same format code
 * runs on the command line and in the web page. Format code imports the implementation as
 * `import { primitives } from "#primitives"`: deno.json maps that to `primitives_node.ts`
 * (node:crypto, node:zlib), the page's bundle maps it to `primitives_web.ts` (pure JavaScript).
 * Both give identical bytes for identical input; one conformance suite holds them to it
 * (tests/conformance/primitives_suite.ts).
 *
 * Every call is synchronous, so the format code stays one piece of code for both. Byte arguments
 * are only read, never kept past the call nor changed. Each back end is wrapped in
 * `withContractChecks` (`_checked_primitives.ts`), which checks the arguments and zstd frame
 * sizes the same way for both.
 *
 * @module
 */

import { IntegrityError } from "../errors.ts";

/** Bytes of a ChaCha20-Poly1305 key. */
export const AEAD_KEY_BYTES = 32;
/** Bytes of a ChaCha20-Poly1305 nonce. */
export const AEAD_NONCE_BYTES = 12;
/** Bytes of a Poly1305 tag. */
export const AEAD_TAG_BYTES = 16;
/** The most bytes HKDF-SHA-256 can produce (255 blocks of 32 bytes). */
export const HKDF_MAX_BYTES = 255 * 32;
/** The longest HKDF info both back ends take (node:crypto's limit). */
export const HKDF_MAX_INFO_BYTES = 1024;

/** HMAC-SHA-256 under one key, prepared once, for many messages. */
export interface KeyedHmac {
  /** HMAC-SHA-256(key, message): 32 bytes in a buffer of their own. */
  digest(message: Uint8Array): Uint8Array;
}

/** The primitives the repository format uses; see the module comment. */
export interface Primitives {
  /** Which implementation this is, for messages and tests. */
  readonly name: "node" | "web";

  /** SHA-256(message): 32 bytes in a buffer of their own. */
  sha256(message: Uint8Array): Uint8Array;

  /**
   * Prepares HMAC-SHA-256 (RFC 2104) under `key` (any length; longer than 64 bytes is hashed
   * first). The key's inner and outer states are computed once, so a digest per message costs
   * only the message's hashing: keep one per key. The result keeps no reference to `key`.
   */
  hmacSha256(key: Uint8Array): KeyedHmac;

  /**
   * HKDF-SHA-256 (RFC 5869): `length` bytes from extract(salt, ikm) and expand(info). An empty
   * salt stands for 32 zero bytes, as the RFC says.
   *
   * @throws {RangeError} when `length` is not an integer in 0..{@link HKDF_MAX_BYTES} or `info`
   *   is longer than {@link HKDF_MAX_INFO_BYTES}
   */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;

  /**
   * Seals `plaintext` with ChaCha20-Poly1305 (RFC 8439) and writes ciphertext then tag into
   * `output`, which must be exactly `plaintext.length + 16` bytes and must not overlap
   * `plaintext`. Seal in one call per message, never in pieces.
   *
   * @throws {RangeError} when the key is not 32 bytes, the nonce not 12, or `output` is not
   *   16 bytes longer than `plaintext`
   */
  sealChaCha20Poly1305(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    output: Uint8Array,
  ): void;

  /**
   * Authenticates and decrypts `sealed` (ciphertext then 16-byte tag) made by
   * {@link sealChaCha20Poly1305} under the same key, nonce and AAD. Returns the plaintext in a
   * buffer of its own; on failure no plaintext is returned or left behind.
   *
   * @throws {RangeError} when the key is not 32 bytes or the nonce not 12
   * @throws {IntegrityError} when `sealed` is shorter than a tag or does not authenticate (any
   *   changed byte of key, nonce, AAD, ciphertext or tag); callers give it their own message
   */
  openChaCha20Poly1305(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    sealed: Uint8Array,
  ): Uint8Array;

  /**
   * {@link openChaCha20Poly1305} for a caller that gives `sealed` up: the plaintext may be
   * written over the ciphertext and returned as a view of `sealed`'s memory (the web back end
   * does, which spares the browser a fresh buffer per blob) or in a buffer of its own (node).
   * Either way the tag is checked first, and `sealed` is left as it was when it does not
   * authenticate.
   *
   * @throws as {@link openChaCha20Poly1305}
   */
  openChaCha20Poly1305InPlace(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    sealed: Uint8Array,
  ): Uint8Array;

  /**
   * Decodes zstd data, refusing to produce more than `maxSize` bytes: output past that is never
   * allocated, whatever sizes the frame claims, so a hostile frame cannot inflate without limit.
   * Frames that declare a content size above `maxSize`, or a window above `maxSize` and 8 MiB
   * (the window every zstd decoder must support), are refused before any decoding. Returns the
   * output in a buffer of its own. Empty input decodes to empty output. A frame cut short may
   * decode to a prefix of its content (zstd frames carry no authentication of their own: the
   * caller's AEAD tag and chunk id check cover that).
   *
   * @param maxSize the most bytes that may come out, a non-negative safe integer
   * @throws {RangeError} when `maxSize` is not a byte count
   * @throws {IntegrityError} {@link outputTooLarge} when the output would pass `maxSize`,
   *   {@link damagedZstd} when the data is not zstd, is damaged or asks for a larger window
   */
  zstdDecompress(data: Uint8Array, maxSize: number): Uint8Array;

  /**
   * Readies the WebAssembly code this implementation prefers (idempotent; never rejects: until
   * it has loaded, and where it cannot, every call gives the same result with slower code): the
   * zstd decoder in node, SHA-256 and HMAC in the web back end.
   */
  loadWebAssembly(): Promise<void>;
}

/** The failure of an open that does not authenticate. */
export function notAuthentic(cause?: unknown): IntegrityError {
  return new IntegrityError("Cannot open sealed data: it does not authenticate", { cause });
}

/** The refusal of zstd output past `maxSize`. */
export function outputTooLarge(maxSize: number): IntegrityError {
  return new IntegrityError(`Cannot decompress chunk: it would exceed ${maxSize} bytes`);
}

/** The failure of zstd data that is not zstd or is damaged. */
export function damagedZstd(cause?: unknown): IntegrityError {
  return new IntegrityError("Cannot decompress chunk: the zstd data is damaged", { cause });
}
