/**
 * Chunk compression: zstd level 1 through node:zlib (native speed), applied only where it pays.
 * A chunk is compressed before it is sealed; the blob's flag bit records whether it was.
 *
 * The decision is cheap: a chunk larger than 64 KiB is first probed by compressing its first
 * 64 KiB, and stored raw when that saves under 3% (media, archives, encrypted files), so
 * incompressible data costs one probe rather than a full pass. A chunk whose probe fails but
 * whose last 4 KiB are zeros is compressed all the same: a data region followed by a hole of a
 * sparse file, or a preallocated image, would otherwise store megabytes of zeros raw. A chunk of
 * 64 KiB or less is its own probe. Chunks under 512 bytes are stored raw: a zstd call and its frame cost more than
 * they could save (docs/PERFORMANCE.md).
 *
 * Decompression lives apart (`decompression.ts`), so that the web page, which only reads,
 * needs no node:zlib.
 *
 * @module
 */

import { constants, zstdCompressSync } from "node:zlib";
import { ownedBytes } from "./_bytes.ts";

/** The zstd level chunks are compressed at. */
export const ZSTD_LEVEL = 1;
/** Bytes of the head of a chunk compressed to decide whether the whole is worth it. */
export const PROBE_BYTES = 64 * 1024;
/** Chunks shorter than this are never compressed. */
export const MIN_COMPRESS_BYTES = 512;
/** A chunk whose head does not compress is compressed when this many bytes at its end are zero. */
export const ZERO_TAIL_BYTES = 4096;
/** The least fraction of its size the probe must save for the chunk to be compressed. */
export const MIN_SAVING = 0.03;

/** The result of {@link compressChunk}: the bytes to seal, and whether they are zstd. */
export interface CompressedChunk {
  /**
   * zstd data when `compressed` (at the start of a buffer of its own, which may be longer: free
   * it with {@link releaseCompressed}), else the plaintext itself (not a copy).
   */
  data: Uint8Array;
  /** Whether `data` is zstd (the blob's flag bit 0). */
  compressed: boolean;
}

const COMPRESS_OPTIONS = { params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } };

/** The least output buffer asked of node:zlib: above its pool's 4 KiB, so never a shared one. */
const MIN_ROOM = 64 * 1024;

/** Whether `compressedLength` saves at least {@link MIN_SAVING} of `length`. */
function saves(length: number, compressedLength: number): boolean {
  return compressedLength <= length * (1 - MIN_SAVING);
}

/**
 * zstd level 1 of `input`, at the start of a buffer of its own. node:zlib writes into one output
 * buffer of `chunkSize` bytes, sized here above zstd's bound for the input, so the result is a
 * view into that one buffer. With its default 16 KiB buffers joined at the end, each 1 MiB chunk
 * left ~25 scratch buffers for the garbage collector: a loop compressing 1 MiB chunks peaked at
 * 131 MiB RSS against 62 MiB this way, at the same speed.
 */
function zstd(input: Uint8Array): Uint8Array {
  const room = Math.max(MIN_ROOM, input.length + (input.length >> 7) + 1024);
  const out = zstdCompressSync(input, { ...COMPRESS_OPTIONS, chunkSize: room });
  // The one buffer sized above, or (should zstd's bound be exceeded) node:zlib's joined copy;
  // a plain Uint8Array either way, not a node Buffer.
  return out.byteOffset === 0 && out.buffer.byteLength === room
    ? new Uint8Array(out.buffer, 0, out.length)
    : ownedBytes(out);
}

/**
 * Compresses a chunk with zstd level 1 when that pays (rules in the module comment), else
 * returns it as it is.
 */
export function compressChunk(plaintext: Uint8Array): CompressedChunk {
  const raw = { data: plaintext, compressed: false };
  if (plaintext.length < MIN_COMPRESS_BYTES) return raw;
  if (plaintext.length > PROBE_BYTES) {
    const probe = zstd(plaintext.subarray(0, PROBE_BYTES));
    const pays = saves(PROBE_BYTES, probe.length);
    releaseBuffer(probe);
    if (!pays && !endsInZeros(plaintext)) return raw;
    return keepIfSmaller(zstd(plaintext), plaintext, false);
  }
  return keepIfSmaller(zstd(plaintext), plaintext, true);
}

/** Whether the last {@link ZERO_TAIL_BYTES} of `chunk` (longer than that) are all zero. */
function endsInZeros(chunk: Uint8Array): boolean {
  for (let at = chunk.length - ZERO_TAIL_BYTES; at < chunk.length; at++) {
    if (chunk[at] !== 0) return false;
  }
  return true;
}

/**
 * Frees a compressed chunk's buffer at once (its `data` is empty afterwards); a chunk stored raw
 * is the caller's plaintext and is left alone.
 */
export function releaseCompressed(chunk: CompressedChunk): void {
  if (chunk.compressed) releaseBuffer(chunk.data);
}

/** Frees the whole buffer of bytes from `zstd`, which is theirs alone. */
function releaseBuffer(bytes: Uint8Array): void {
  if (bytes.buffer instanceof ArrayBuffer) bytes.buffer.transfer(0);
}

/**
 * The compressed chunk when it is smaller than `plaintext` (by the minimum saving when
 * `strict`), else `plaintext` as it is; an unused compressed buffer is freed at once.
 */
function keepIfSmaller(out: Uint8Array, plaintext: Uint8Array, strict: boolean): CompressedChunk {
  const keep = strict ? saves(plaintext.length, out.length) : out.length < plaintext.length;
  if (keep) return { data: out, compressed: true };
  releaseBuffer(out);
  return { data: plaintext, compressed: false };
}
