/**
 * Chunk decompression: the reading side of `compression.ts`, on the `#primitives` back end so
 * that the command line and the web page share it. Decompression is bounded by the caller's
 * maximum chunk size, so a hostile or damaged payload cannot inflate without limit. zstd frames
 * carry no authentication of their own (a truncated frame may decode to a prefix); the blob's
 * AEAD tag and the chunk id check cover that.
 *
 * @module
 */

import { primitives } from "#primitives";

/**
 * Decompresses a chunk's zstd data, refusing to produce more than `maxSize` bytes.
 *
 * @param maxSize the largest chunk the repository allows; output beyond it is refused
 * @throws {RangeError} when `maxSize` is not a non-negative safe integer
 * @throws {IntegrityError} when the data is not zstd or would decompress past `maxSize`
 */
export function decompressChunk(data: Uint8Array, maxSize: number): Uint8Array {
  return primitives.zstdDecompress(data, maxSize);
}
