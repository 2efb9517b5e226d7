/**
 * Chunk compression: zstd level 1 through node:zlib (native speed), applied only where it pays.
 * A chunk is compressed before it is sealed; the blob's flag bit records whether it was.
 *
 * The decision is cheap: a chunk larger than 64 KiB is first probed by compressing its first
 * 64 KiB, and stored raw when that saves under 3% (media, archives, encrypted files), so
 * incompressible data costs one probe rather than a full pass. A chunk of 64 KiB or less is its
 * own probe. Chunks under 512 bytes are stored raw: each zstd call costs ~15–20 µs and a frame
 * ~10 bytes, against at most a few hundred bytes saved.
 *
 * Decompression is bounded by the caller's maximum chunk size, so a hostile or damaged payload
 * cannot inflate without limit. zstd frames carry no authentication of their own (a truncated
 * frame may decode to a prefix); the blob's AEAD tag and the chunk id check cover that.
 *
 * @module
 */

import { constants, zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { IntegrityError } from "../errors.ts";
import { ownedBytes } from "./_bytes.ts";
import { releaseBytes } from "./release_bytes.ts";

/** The zstd level chunks are compressed at. */
export const ZSTD_LEVEL = 1;
/** Bytes of the head of a chunk compressed to decide whether the whole is worth it. */
export const PROBE_BYTES = 64 * 1024;
/** Chunks shorter than this are never compressed. */
export const MIN_COMPRESS_BYTES = 512;
/** The least fraction of its size the probe must save for the chunk to be compressed. */
export const MIN_SAVING = 0.03;

/** The result of {@link compressChunk}: the bytes to seal, and whether they are zstd. */
export interface CompressedChunk {
  /** zstd data when `compressed`, else the plaintext itself (not a copy). */
  data: Uint8Array;
  /** Whether `data` is zstd (the blob's flag bit 0). */
  compressed: boolean;
}

const COMPRESS_OPTIONS = { params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } };

/** Whether `compressedLength` saves at least {@link MIN_SAVING} of `length`. */
function saves(length: number, compressedLength: number): boolean {
  return compressedLength <= length * (1 - MIN_SAVING);
}

/**
 * Compresses a chunk with zstd level 1 when that pays (rules in the module comment), else
 * returns it as it is.
 */
export function compressChunk(plaintext: Uint8Array): CompressedChunk {
  const raw = { data: plaintext, compressed: false };
  if (plaintext.length < MIN_COMPRESS_BYTES) return raw;
  if (plaintext.length > PROBE_BYTES) {
    const probe = zstdCompressSync(plaintext.subarray(0, PROBE_BYTES), COMPRESS_OPTIONS);
    const pays = saves(PROBE_BYTES, probe.length);
    releaseBytes(probe);
    if (!pays) return raw;
    return keepIfSmaller(zstdCompressSync(plaintext, COMPRESS_OPTIONS), plaintext, false);
  }
  return keepIfSmaller(zstdCompressSync(plaintext, COMPRESS_OPTIONS), plaintext, true);
}

/**
 * The compressed chunk when it is smaller than `plaintext` (by the minimum saving when
 * `strict`), else `plaintext` as it is; an unused compressed buffer is freed at once.
 */
function keepIfSmaller(out: Uint8Array, plaintext: Uint8Array, strict: boolean): CompressedChunk {
  const keep = strict ? saves(plaintext.length, out.length) : out.length < plaintext.length;
  if (keep) return { data: ownedBytes(out), compressed: true };
  releaseBytes(out);
  return { data: plaintext, compressed: false };
}

/**
 * Decompresses a chunk's zstd data, refusing to produce more than `maxSize` bytes.
 *
 * @param maxSize the largest chunk the repository allows; output beyond it is refused
 * @throws {RangeError} when `maxSize` is not a non-negative safe integer
 * @throws {IntegrityError} when the data is not zstd or would decompress past `maxSize`
 */
export function decompressChunk(data: Uint8Array, maxSize: number): Uint8Array {
  if (!Number.isSafeInteger(maxSize) || maxSize < 0) {
    throw new RangeError(`Cannot decompress chunk: maximum size ${maxSize} is not a byte count`);
  }
  let output: Uint8Array;
  try {
    // node:zlib refuses a maxOutputLength of 0; the length check below covers that case.
    output = zstdDecompressSync(data, { maxOutputLength: Math.max(1, maxSize) });
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(maxSize);
    throw new IntegrityError("Cannot decompress chunk: the zstd data is damaged", { cause: error });
  }
  if (output.length > maxSize) throw tooLarge(maxSize);
  return ownedBytes(output);
}

function tooLarge(maxSize: number): IntegrityError {
  return new IntegrityError(`Cannot decompress chunk: it would exceed ${maxSize} bytes`);
}
