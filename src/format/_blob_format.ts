/**
 * The byte layout of a sealed blob (see `blob_crypto.ts` for the table and the nonce argument):
 * version 1 | flags | salt 16 | nonce 12 | ciphertext | tag 16, AAD = header || id.
 *
 * @module
 */

import { primitives } from "#primitives";
import { IntegrityError } from "../errors.ts";

/** Bytes of a chunk id (HMAC-SHA-256). */
export const CHUNK_ID_BYTES = 32;
/** Bytes of a blob's header: version, flags, salt, nonce. */
export const BLOB_HEADER_BYTES = 30;
/** Bytes of a blob's Poly1305 tag. */
export const BLOB_TAG_BYTES = 16;
/** Bytes a sealed blob adds to its payload. */
export const BLOB_OVERHEAD_BYTES = BLOB_HEADER_BYTES + BLOB_TAG_BYTES;
/** The one blob version this code writes and reads. */
export const BLOB_VERSION = 1;
/** Flag bit 0: the payload is zstd data. No other bit is defined. */
export const FLAG_ZSTD = 0x01;
/** Bytes of the per-session salt. */
export const SALT_BYTES = 16;
/** Offset of the salt in a blob. */
export const SALT_AT = 2;
/** Bytes of the per-blob nonce. */
export const NONCE_BYTES = 12;
/** Offset of the nonce in a blob. */
export const NONCE_AT = SALT_AT + SALT_BYTES;
/** Bytes of the data key and of each subkey. */
export const KEY_BYTES = 32;

const BLOB_KEY_INFO = new TextEncoder().encode("burrow v1 blob key");

/** The subkey for one salt: HKDF-SHA-256(dataKey, salt, "burrow v1 blob key", 32 bytes). */
export function blobSubkey(dataKey: Uint8Array, salt: Uint8Array): Uint8Array {
  return primitives.hkdfSha256(dataKey, salt, BLOB_KEY_INFO, KEY_BYTES);
}

/** The AAD of a blob: its 30 header bytes, then its id. */
export function blobAad(header: Uint8Array, id: Uint8Array): Uint8Array {
  const aad = new Uint8Array(BLOB_HEADER_BYTES + CHUNK_ID_BYTES);
  aad.set(header, 0);
  aad.set(id, BLOB_HEADER_BYTES);
  return aad;
}

/**
 * Checks a blob's length, version and flags before any of it is used.
 *
 * @throws {IntegrityError} when the blob is too short or names an unknown version or flag
 */
export function assertBlobHeader(blob: Uint8Array): void {
  if (blob.length < BLOB_OVERHEAD_BYTES) {
    throw new IntegrityError(
      `Cannot open blob: it is ${blob.length} bytes, shorter than the ${BLOB_OVERHEAD_BYTES}-byte minimum`,
    );
  }
  if (blob[0] !== BLOB_VERSION) {
    throw new IntegrityError(`Cannot open blob: unsupported blob version ${blob[0]}`);
  }
  const flags = blob[1]!;
  if ((flags & ~FLAG_ZSTD) !== 0) {
    throw new IntegrityError(
      `Cannot open blob: unknown flags 0x${flags.toString(16).padStart(2, "0")}`,
    );
  }
}
