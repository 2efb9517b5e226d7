/**
 * The repository master key: 32 random bytes made once per repository, from which HKDF-SHA-256
 * derives the chunk-id key, the data key and (key file version 2) the chunker key. The server
 * only ever stores it wrapped (ChaCha20-Poly1305) under the client's key-encryption key, so it
 * holds no key that opens the data it stores.
 *
 * Wrapped key layout (65 bytes):
 *
 * | offset | bytes | field                                          |
 * | -----: | ----: | ---------------------------------------------- |
 * |      0 |     4 | magic "BRWK"                                   |
 * |      4 |     1 | version: 1 or 2                                |
 * |      5 |    12 | nonce (random)                                 |
 * |     17 |    32 | ciphertext of the master key                   |
 * |     49 |    16 | Poly1305 tag; AAD = the 5 header bytes (0..4)  |
 *
 * The version says how the repository cuts chunks: 1, with the fixed public gear table; 2 (every
 * new repository), with a gear table derived from the master key. It travels with the master key
 * (`MasterKey.version`) so that a re-wrap keeps it, and it is authenticated (AAD), so the server
 * cannot switch a repository to the other table.
 *
 * Each wrap uses a fresh random nonce under a key-encryption key that wraps one master key per
 * user, rewrapped only on a password change, so nonce reuse is out of reach.
 *
 * @module
 */

import { primitives } from "#primitives";
import { IntegrityError } from "../errors.ts";
import { assertLength } from "./_bytes.ts";
import { drawRandom, type RandomBytes, secureRandomBytes } from "./_random.ts";
import { fixedGearTable, type GearTable, keyedGearTable } from "./gear_table.ts";

/** Bytes of the master key, of each derived key and of the key-encryption key. */
export const MASTER_KEY_BYTES = 32;
/** Bytes of a wrapped master key: header 5, nonce 12, ciphertext 32, tag 16. */
export const WRAPPED_MASTER_KEY_BYTES = 65;

/** A key file version; each says how the repository cuts chunks (see the module comment). */
export type KeyFileVersion = 1 | 2;
/** Key file version 1: the chunker uses the fixed public gear table. */
export const KEY_FILE_FIXED_GEAR: KeyFileVersion = 1;
/** Key file version 2, for every new repository: the gear table is derived from the master key. */
export const KEY_FILE_KEYED_GEAR: KeyFileVersion = 2;

/** An unwrapped master key and the version of the key file it belongs in. */
export interface MasterKey {
  /** The 32 secret bytes. */
  readonly bytes: Uint8Array;
  /** The key file version, kept as is when the key is wrapped again (a new password). */
  readonly version: KeyFileVersion;
}

/** The keys a client derives from the repository master key. */
export interface RepositoryKeys {
  /** HMAC-SHA-256 key for chunk ids (32 bytes): the same plaintext gets the same id. */
  idKey: Uint8Array;
  /** Root of the per-session blob subkeys (32 bytes); see `BlobSealer`. */
  dataKey: Uint8Array;
  /**
   * The chunker's gear table: the fixed one for a version-1 key, else one derived from the
   * master key. Every cut in this repository (file data and manifests) uses it.
   */
  gear: GearTable;
}

const encoder = new TextEncoder();
const MAGIC = encoder.encode("BRWK");
const HEADER_BYTES = 5;
const NONCE_BYTES = 12;
const ID_KEY_INFO = encoder.encode("burrow v1 chunk id key");
const DATA_KEY_INFO = encoder.encode("burrow v1 data key");
const CHUNKER_KEY_INFO = encoder.encode("burrow v2 chunker key");
const NO_SALT = new Uint8Array(0);
const UNLOCK_FAILED = "Cannot unlock the repository key: wrong password or damaged key file";

/** A fresh random master key (32 bytes) for a new repository: key file version 2. */
export function newMasterKey(random: RandomBytes = secureRandomBytes): MasterKey {
  return {
    bytes: new Uint8Array(drawRandom(random, MASTER_KEY_BYTES)),
    version: KEY_FILE_KEYED_GEAR,
  };
}

/**
 * Derives the chunk-id key, the data key and the gear table. Keys are HKDF-SHA-256(master, empty
 * salt, info, 32 bytes) with info "burrow v1 chunk id key" and "burrow v1 data key"; for a
 * version-2 key, the gear table is `keyedGearTable` of the chunker key (info "burrow v2 chunker
 * key"), for a version-1 key it is the fixed table. Pinned by test vectors: a change makes every
 * existing repository unreadable, or stops its deduplication.
 *
 * @throws {RangeError} when the master key is not 32 bytes or the version is unknown
 */
export function deriveRepositoryKeys(key: MasterKey): RepositoryKeys {
  assertLength("master key", key.bytes, MASTER_KEY_BYTES);
  assertVersion(key.version);
  const derive = (info: Uint8Array) =>
    primitives.hkdfSha256(key.bytes, NO_SALT, info, MASTER_KEY_BYTES);
  let gear: GearTable;
  if (key.version === KEY_FILE_KEYED_GEAR) {
    const chunkerKey = derive(CHUNKER_KEY_INFO);
    gear = keyedGearTable(chunkerKey);
    chunkerKey.fill(0);
  } else gear = fixedGearTable();
  return { idKey: derive(ID_KEY_INFO), dataKey: derive(DATA_KEY_INFO), gear };
}

/**
 * Wraps the master key under the key-encryption key for storage on the server, in a key file of
 * the key's own version.
 *
 * @returns the 65-byte wrapped key (layout in the module comment)
 * @throws {RangeError} when either key is not 32 bytes or the version is unknown
 */
export function wrapMasterKey(
  key: MasterKey,
  keyEncryptionKey: Uint8Array,
  random: RandomBytes = secureRandomBytes,
): Uint8Array {
  const master = key.bytes;
  assertLength("master key", master, MASTER_KEY_BYTES);
  assertLength("key-encryption key", keyEncryptionKey, MASTER_KEY_BYTES);
  assertVersion(key.version);
  const out = new Uint8Array(WRAPPED_MASTER_KEY_BYTES);
  out.set(MAGIC, 0);
  out[4] = key.version;
  const nonce = drawRandom(random, NONCE_BYTES);
  out.set(nonce, HEADER_BYTES);
  primitives.sealChaCha20Poly1305(
    keyEncryptionKey,
    nonce,
    out.subarray(0, HEADER_BYTES),
    master,
    out.subarray(HEADER_BYTES + NONCE_BYTES),
  );
  return out;
}

/**
 * Unwraps a master key made by {@link wrapMasterKey}, with its key file's version.
 *
 * @throws {RangeError} when the key-encryption key is not 32 bytes
 * @throws {IntegrityError} when the wrapped key has the wrong length, magic or version, or does
 *   not authenticate under this key-encryption key (wrong password, damaged or altered key file)
 */
export function unwrapMasterKey(wrapped: Uint8Array, keyEncryptionKey: Uint8Array): MasterKey {
  assertLength("key-encryption key", keyEncryptionKey, MASTER_KEY_BYTES);
  assertWrappedHeader(wrapped);
  const nonce = wrapped.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
  let master: Uint8Array;
  try {
    master = primitives.openChaCha20Poly1305(
      keyEncryptionKey,
      nonce,
      wrapped.subarray(0, HEADER_BYTES),
      wrapped.subarray(HEADER_BYTES + NONCE_BYTES),
    );
  } catch (error) {
    if (!(error instanceof IntegrityError)) throw error;
    throw new IntegrityError(UNLOCK_FAILED, { cause: error });
  }
  return { bytes: master, version: wrapped[4] as KeyFileVersion };
}

function isKnownVersion(version: number | undefined): version is KeyFileVersion {
  return version === KEY_FILE_FIXED_GEAR || version === KEY_FILE_KEYED_GEAR;
}

/** @throws {RangeError} when `version` is not a key file version this code knows */
function assertVersion(version: number): void {
  if (!isKnownVersion(version)) {
    throw new RangeError(`Cannot use the master key: unknown key file version "${version}"`);
  }
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
  if (!isKnownVersion(wrapped[4])) {
    throw new IntegrityError(
      `Cannot unlock the repository key: unsupported key file version ${wrapped[4]}`,
    );
  }
}
