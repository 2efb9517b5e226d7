/**
 * The repository master key: 32 random bytes made once per repository, from which HKDF-SHA-256
 * derives the chunk-id key and the data key. The server only ever stores it wrapped
 * (ChaCha20-Poly1305) under the client's key-encryption key, so it holds no key that opens
 * the data it stores.
 *
 * Wrapped key layout (65 bytes):
 *
 * | offset | bytes | field                                          |
 * | -----: | ----: | ---------------------------------------------- |
 * |      0 |     4 | magic "BRWK"                                   |
 * |      4 |     1 | version, 1                                     |
 * |      5 |    12 | nonce (random)                                 |
 * |     17 |    32 | ciphertext of the master key                   |
 * |     49 |    16 | Poly1305 tag; AAD = the 5 header bytes (0..4)  |
 *
 * Each wrap uses a fresh random nonce under a key-encryption key that wraps one master key per
 * user, rewrapped only on a password change, so nonce reuse is out of reach.
 *
 * @module
 */

import { createCipheriv, createDecipheriv, hkdfSync } from "node:crypto";
import { IntegrityError } from "../errors.ts";
import { assertLength, ownedBytes } from "./_bytes.ts";
import { drawRandom, type RandomBytes, secureRandomBytes } from "./_random.ts";

/** Bytes of the master key, of each derived key and of the key-encryption key. */
export const MASTER_KEY_BYTES = 32;
/** Bytes of a wrapped master key: header 5, nonce 12, ciphertext 32, tag 16. */
export const WRAPPED_MASTER_KEY_BYTES = 65;

/** The keys a client derives from the repository master key. */
export interface RepositoryKeys {
  /** HMAC-SHA-256 key for chunk ids (32 bytes): the same plaintext gets the same id. */
  idKey: Uint8Array;
  /** Root of the per-session blob subkeys (32 bytes); see `BlobSealer`. */
  dataKey: Uint8Array;
}

const MAGIC = new TextEncoder().encode("BRWK");
const VERSION = 1;
const HEADER_BYTES = 5;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ID_KEY_INFO = "burrow v1 chunk id key";
const DATA_KEY_INFO = "burrow v1 data key";
const UNLOCK_FAILED = "Cannot unlock the repository key: wrong password or damaged key file";

/** A fresh random master key (32 bytes) for a new repository. */
export function newMasterKey(random: RandomBytes = secureRandomBytes): Uint8Array {
  return new Uint8Array(drawRandom(random, MASTER_KEY_BYTES));
}

/**
 * Derives the chunk-id key and the data key: HKDF-SHA-256(master, empty salt, info, 32 bytes)
 * with info "burrow v1 chunk id key" and "burrow v1 data key". Pinned by a test vector: a change
 * makes every existing repository unreadable.
 *
 * @throws {RangeError} when the master key is not 32 bytes
 */
export function deriveRepositoryKeys(master: Uint8Array): RepositoryKeys {
  assertLength("master key", master, MASTER_KEY_BYTES);
  const derive = (info: string) =>
    new Uint8Array(hkdfSync("sha256", master, new Uint8Array(0), info, MASTER_KEY_BYTES));
  return { idKey: derive(ID_KEY_INFO), dataKey: derive(DATA_KEY_INFO) };
}

/**
 * Wraps the master key under the key-encryption key for storage on the server.
 *
 * @returns the 65-byte wrapped key (layout in the module comment)
 * @throws {RangeError} when either key is not 32 bytes
 */
export function wrapMasterKey(
  master: Uint8Array,
  keyEncryptionKey: Uint8Array,
  random: RandomBytes = secureRandomBytes,
): Uint8Array {
  assertLength("master key", master, MASTER_KEY_BYTES);
  assertLength("key-encryption key", keyEncryptionKey, MASTER_KEY_BYTES);
  const out = new Uint8Array(WRAPPED_MASTER_KEY_BYTES);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  const nonce = drawRandom(random, NONCE_BYTES);
  out.set(nonce, HEADER_BYTES);
  const cipher = createCipheriv("chacha20-poly1305", keyEncryptionKey, nonce, {
    authTagLength: TAG_BYTES,
  });
  cipher.setAAD(out.subarray(0, HEADER_BYTES), { plaintextLength: MASTER_KEY_BYTES });
  out.set(cipher.update(master), HEADER_BYTES + NONCE_BYTES);
  cipher.final();
  out.set(cipher.getAuthTag(), WRAPPED_MASTER_KEY_BYTES - TAG_BYTES);
  return out;
}

/**
 * Unwraps a master key made by {@link wrapMasterKey}.
 *
 * @throws {RangeError} when the key-encryption key is not 32 bytes
 * @throws {IntegrityError} when the wrapped key has the wrong length, magic or version, or does
 *   not authenticate under this key-encryption key (wrong password or damaged key file)
 */
export function unwrapMasterKey(wrapped: Uint8Array, keyEncryptionKey: Uint8Array): Uint8Array {
  assertLength("key-encryption key", keyEncryptionKey, MASTER_KEY_BYTES);
  assertWrappedHeader(wrapped);
  const nonce = wrapped.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
  const tagAt = WRAPPED_MASTER_KEY_BYTES - TAG_BYTES;
  const decipher = createDecipheriv("chacha20-poly1305", keyEncryptionKey, nonce, {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(wrapped.subarray(0, HEADER_BYTES), { plaintextLength: MASTER_KEY_BYTES });
  decipher.setAuthTag(wrapped.subarray(tagAt));
  const master = ownedBytes(decipher.update(wrapped.subarray(HEADER_BYTES + NONCE_BYTES, tagAt)));
  try {
    decipher.final();
  } catch (error) {
    master.fill(0);
    throw new IntegrityError(UNLOCK_FAILED, { cause: error });
  }
  return master;
}

/** Checks the length, magic and version of a wrapped key before any of it is used. */
function assertWrappedHeader(wrapped: Uint8Array): void {
  if (wrapped.length !== WRAPPED_MASTER_KEY_BYTES) {
    throw new IntegrityError(
      `Cannot unlock the repository key: the key file is ${wrapped.length} bytes, not ${WRAPPED_MASTER_KEY_BYTES}`,
    );
  }
  if (!MAGIC.every((byte, i) => wrapped[i] === byte)) {
    throw new IntegrityError('Cannot unlock the repository key: the key file has no "BRWK" magic');
  }
  if (wrapped[4] !== VERSION) {
    throw new IntegrityError(
      `Cannot unlock the repository key: unsupported key file version ${wrapped[4]}`,
    );
  }
}
