/**
 * Chunk ids: 32 bytes, the keyed hash of a chunk's plaintext (`blob_crypto.ts`). The client makes
 * them; the server only stores blobs under them and compares them.
 *
 * @module
 */

/** Length in bytes of a chunk id. */
export const CHUNK_ID_BYTES = 32;

/** Throws RangeError unless `id` is a chunk id. */
export function checkChunkId(id: Uint8Array): void {
  if (!(id instanceof Uint8Array) || id.length !== CHUNK_ID_BYTES) {
    throw new RangeError(`Cannot use chunk id: expected ${CHUNK_ID_BYTES} bytes`);
  }
}

/** Lower-case hex of `bytes`, for file names and messages. */
export function toHex(bytes: Uint8Array): string {
  return bytes.toHex();
}
