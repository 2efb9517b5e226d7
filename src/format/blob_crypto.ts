/**
 * Chunk ids and sealed blobs. A chunk's id is HMAC-SHA-256(idKey, plaintext), so equal chunks
 * deduplicate while the server learns nothing from ids. Every chunk (and every other blob, such
 * as a snapshot manifest) is stored sealed with ChaCha20-Poly1305, whole, in one call.
 *
 * Blob layout (46 bytes of overhead):
 *
 * | offset | bytes | field                                             |
 * | -----: | ----: | ------------------------------------------------- |
 * |      0 |     1 | version, 1                                        |
 * |      1 |     1 | flags: bit 0 = payload is zstd; other bits zero   |
 * |      2 |    16 | salt: picks the subkey                            |
 * |     18 |    12 | nonce (random)                                    |
 * |     30 |     n | ciphertext of the payload                         |
 * |   30+n |    16 | Poly1305 tag                                      |
 *
 * The AAD is the 30 header bytes followed by the blob's 32-byte id, so a blob opens only under
 * the id it was sealed for: a server that swaps two blobs, or serves one under another id, is
 * caught, as is any change to the version, flags, salt or nonce.
 *
 * Nonce safety. Each {@link BlobSealer} (one per push or session) draws a random 128-bit salt
 * and seals under subkey = HKDF-SHA-256(dataKey, salt, "burrow v1 blob key", 32 bytes); each
 * seal draws a random 96-bit nonce from the OS CSPRNG. A (key, nonce) pair repeats only if two
 * blobs share both salt and nonce. Under one subkey, n seals repeat a nonce with probability at
 * most n(n-1)/2 / 2^96 < n²/2^97: 2^-49 for n = 2^24 blobs (16 TiB of 1 MiB chunks), 2^-33 for
 * n = 2^32. A sealer moves to a fresh salt after 2^32 seals, so no subkey exceeds that. Across
 * S sessions that seal anything, two salts collide with probability at most S²/2^129 (2^-65 for
 * S = 2^32), and even then their nonces must collide too. So over N blobs in all under one data
 * key (S ≤ N sessions of n_i blobs each), any (key, nonce) reuse has probability at most
 * S²/2^129 + Σ n_i²/2^97 ≤ N²/2^129 + N²/2^97: below 2^-32 for N up to 2^32 blobs.
 *
 * @module
 */

import { primitives } from "#primitives";
import { IntegrityError } from "../errors.ts";
import {
  assertBlobHeader,
  BLOB_HEADER_BYTES,
  BLOB_TAG_BYTES,
  BLOB_VERSION,
  blobAad,
  blobSubkey,
  CHUNK_ID_BYTES,
  FLAG_ZSTD,
  KEY_BYTES,
  NONCE_AT,
  NONCE_BYTES,
  SALT_AT,
  SALT_BYTES,
} from "./_blob_format.ts";
import { assertLength, constantTimeEqual } from "./_bytes.ts";
import type { KeyedHmac } from "./primitives.ts";
import { drawRandom, type RandomBytes, secureRandomBytes } from "./_random.ts";

export {
  BLOB_HEADER_BYTES,
  BLOB_OVERHEAD_BYTES,
  BLOB_TAG_BYTES,
  CHUNK_ID_BYTES,
} from "./_blob_format.ts";

/** Seals under one subkey before a sealer draws a new salt (nonce bound above). */
const MAX_SEALS_PER_SALT = 2 ** 32;

/** A blob's payload once opened and authenticated. */
export interface OpenedBlob {
  /** The payload as sealed: zstd data when `compressed`, else the plaintext. */
  payload: Uint8Array;
  /** Whether the payload is zstd-compressed (flag bit 0). */
  compressed: boolean;
}

/**
 * Computes and checks chunk ids under one id key: HMAC-SHA-256(idKey, plaintext), 32 bytes, in
 * one pass over the whole chunk. Keep one per push or restore: it prepares the key once, which
 * halves the cost of an id for small chunks.
 */
export class ChunkIdHasher {
  readonly #hmac: KeyedHmac;

  /** @throws {RangeError} when the id key is not 32 bytes */
  constructor(idKey: Uint8Array) {
    assertLength("chunk id key", idKey, KEY_BYTES);
    this.#hmac = primitives.hmacSha256(idKey);
  }

  /** The id of a chunk. */
  id(plaintext: Uint8Array): Uint8Array {
    return this.#hmac.digest(plaintext);
  }

  /**
   * Checks that `plaintext` is the chunk named `id`, in constant time.
   *
   * @throws {RangeError} when the id is not 32 bytes
   * @throws {IntegrityError} when the plaintext's id differs from `id`
   */
  verify(id: Uint8Array, plaintext: Uint8Array): void {
    assertLength("chunk id", id, CHUNK_ID_BYTES);
    if (!constantTimeEqual(this.#hmac.digest(plaintext), id)) {
      throw new IntegrityError("Cannot verify chunk: its content does not match its id");
    }
  }
}

/**
 * The id of a chunk: HMAC-SHA-256(idKey, plaintext), 32 bytes. For many chunks, prefer one
 * {@link ChunkIdHasher}.
 *
 * @throws {RangeError} when the id key is not 32 bytes
 */
export function chunkId(idKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return new ChunkIdHasher(idKey).id(plaintext);
}

/**
 * Checks that `plaintext` is the chunk named `id`, in constant time.
 *
 * @throws {RangeError} when the id key or the id is not 32 bytes
 * @throws {IntegrityError} when HMAC(idKey, plaintext) differs from `id`
 */
export function verifyChunk(idKey: Uint8Array, id: Uint8Array, plaintext: Uint8Array): void {
  new ChunkIdHasher(idKey).verify(id, plaintext);
}

/**
 * Seals blobs for one push or session under a subkey of its own (see the module comment).
 * Not safe to share between threads; each worker makes its own.
 */
export class BlobSealer {
  readonly #dataKey: Uint8Array;
  readonly #random: RandomBytes;
  #salt: Uint8Array;
  #subkey: Uint8Array;
  #seals = 0;

  /**
   * Draws a random 16-byte salt and derives this session's subkey from the data key.
   *
   * @param random injected randomness for tests; defaults to the OS CSPRNG
   * @throws {RangeError} when the data key is not 32 bytes
   */
  constructor(dataKey: Uint8Array, random: RandomBytes = secureRandomBytes) {
    assertLength("data key", dataKey, KEY_BYTES);
    this.#dataKey = new Uint8Array(dataKey);
    this.#random = random;
    this.#salt = new Uint8Array(drawRandom(random, SALT_BYTES));
    this.#subkey = blobSubkey(this.#dataKey, this.#salt);
  }

  /** A copy of the salt this sealer currently writes into its blobs. */
  get salt(): Uint8Array {
    return this.#salt.slice();
  }

  /**
   * Seals `payload` as the blob for `id` in one output buffer (layout in the module comment).
   *
   * @param compressed whether `payload` is zstd data (sets flag bit 0)
   * @throws {RangeError} when the id is not 32 bytes
   */
  seal(id: Uint8Array, payload: Uint8Array, compressed: boolean): Uint8Array {
    assertLength("chunk id", id, CHUNK_ID_BYTES);
    if (++this.#seals > MAX_SEALS_PER_SALT) this.#rotate();
    const blob = new Uint8Array(BLOB_HEADER_BYTES + payload.length + BLOB_TAG_BYTES);
    blob[0] = BLOB_VERSION;
    blob[1] = compressed ? FLAG_ZSTD : 0;
    blob.set(this.#salt, SALT_AT);
    const nonce = drawRandom(this.#random, NONCE_BYTES);
    blob.set(nonce, NONCE_AT);
    const aad = blobAad(blob.subarray(0, BLOB_HEADER_BYTES), id);
    primitives.sealChaCha20Poly1305(
      this.#subkey,
      nonce,
      aad,
      payload,
      blob.subarray(BLOB_HEADER_BYTES),
    );
    return blob;
  }

  /** Moves to a fresh salt and subkey once the current one has sealed its share. */
  #rotate(): void {
    this.#salt = new Uint8Array(drawRandom(this.#random, SALT_BYTES));
    this.#subkey = blobSubkey(this.#dataKey, this.#salt);
    this.#seals = 1;
  }
}

/**
 * Opens blobs sealed by any {@link BlobSealer} under the same data key. Remembers the subkeys
 * of the last few salts, since a restore meets the same few sessions' salts over and over.
 */
export class BlobOpener {
  readonly #dataKey: Uint8Array;
  readonly #capacity: number;
  /** Salt (hex) → subkey, oldest first: a Map keeps insertion order, which makes the LRU. */
  readonly #subkeys = new Map<string, Uint8Array>();

  /**
   * @param cacheSize how many salts' subkeys to remember (at least 1)
   * @throws {RangeError} when the data key is not 32 bytes or the cache size is below 1
   */
  constructor(dataKey: Uint8Array, cacheSize = 16) {
    assertLength("data key", dataKey, KEY_BYTES);
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 1) {
      throw new RangeError(
        `Cannot make a blob opener: cache size ${cacheSize} is not a positive integer`,
      );
    }
    this.#dataKey = new Uint8Array(dataKey);
    this.#capacity = cacheSize;
  }

  /**
   * Authenticates and decrypts the blob sealed for `id`.
   *
   * @throws {RangeError} when the id is not 32 bytes
   * @throws {IntegrityError} when the blob is too short, has an unknown version or flag, or does
   *   not authenticate (wrong id, wrong key, or any byte changed)
   */
  open(id: Uint8Array, blob: Uint8Array): OpenedBlob {
    return this.#open(id, blob, false);
  }

  /**
   * {@link open} for a caller that gives `blob` up: the payload may be decrypted over the blob's
   * ciphertext and returned as a view of it (see `openChaCha20Poly1305InPlace`). A blob that
   * does not authenticate is left as it was.
   *
   * @throws as {@link open}
   */
  openInPlace(id: Uint8Array, blob: Uint8Array): OpenedBlob {
    return this.#open(id, blob, true);
  }

  #open(id: Uint8Array, blob: Uint8Array, inPlace: boolean): OpenedBlob {
    assertLength("chunk id", id, CHUNK_ID_BYTES);
    assertBlobHeader(blob);
    const header = blob.subarray(0, BLOB_HEADER_BYTES);
    const subkey = this.#subkey(blob.subarray(SALT_AT, NONCE_AT));
    const nonce = blob.subarray(NONCE_AT, BLOB_HEADER_BYTES);
    let payload: Uint8Array;
    try {
      const aad = blobAad(header, id);
      const sealed = blob.subarray(BLOB_HEADER_BYTES);
      payload = inPlace
        ? primitives.openChaCha20Poly1305InPlace(subkey, nonce, aad, sealed)
        : primitives.openChaCha20Poly1305(subkey, nonce, aad, sealed);
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      throw new IntegrityError(
        "Cannot open blob: it does not authenticate (wrong id, wrong key or damaged data)",
        { cause: error },
      );
    }
    return { payload, compressed: (blob[1]! & FLAG_ZSTD) !== 0 };
  }

  /** The subkey for `salt`, from the cache or freshly derived. */
  #subkey(salt: Uint8Array): Uint8Array {
    const name = salt.toHex();
    const cached = this.#subkeys.get(name);
    if (cached !== undefined) {
      this.#subkeys.delete(name);
      this.#subkeys.set(name, cached);
      return cached;
    }
    const subkey = blobSubkey(this.#dataKey, salt);
    this.#subkeys.set(name, subkey);
    if (this.#subkeys.size > this.#capacity) {
      const oldest = this.#subkeys.keys().next();
      if (oldest.done !== true) this.#subkeys.delete(oldest.value);
    }
    return subkey;
  }
}

/**
 * Opens one blob: a {@link BlobOpener} for a single use. Prefer one opener per restore.
 *
 * @throws {RangeError} when the data key or the id is not 32 bytes
 * @throws {IntegrityError} as {@link BlobOpener.open}
 */
export function openBlob(dataKey: Uint8Array, id: Uint8Array, blob: Uint8Array): OpenedBlob {
  return new BlobOpener(dataKey, 1).open(id, blob);
}
