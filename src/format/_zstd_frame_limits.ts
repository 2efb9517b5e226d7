/**
 * Checks the sizes zstd frames ask a decoder to allocate before any decoder sees them (the web
 * back end's trusts them; `withContractChecks` runs this for both, so that they refuse the same
 * frames): every
 * frame's window and declared content size, and every block's size (RFC 8878). Only the frame
 * and block headers are read; a frame cut short ends the walk (the decoder then reports it).
 *
 * @module
 */

import { damagedZstd, outputTooLarge } from "./primitives.ts";

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** The largest block a frame may hold (Block_Maximum_Size's upper bound). */
const MAX_BLOCK_BYTES = 128 * 1024;
/** Every decoder must support windows this large, so frames may use one whatever their size. */
const MIN_WINDOW_LIMIT = 8 * 1024 * 1024;
/** Above this, sizes are no longer exact in the decoder's 32-bit arithmetic. */
const MAX_WINDOW_BYTES = 2 ** 31 - 1;
const BLOCK_RLE = 1;
const BLOCK_RESERVED = 3;

/** A frame header's fields that size a decoder's buffers. */
interface FrameHeader {
  /** Bytes of the header, magic included. */
  bytes: number;
  window: number;
  /** The declared content size, or -1 when the frame leaves it out. */
  contentSize: number;
  checksum: boolean;
}

function u32le(data: Uint8Array, at: number): number {
  return (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
}

/** A little-endian unsigned integer of `bytes` bytes (up to 8) as a number. */
function uintLe(data: Uint8Array, at: number, bytes: number): number {
  let value = 0;
  for (let i = bytes - 1; i >= 0; i--) value = value * 256 + data[at + i]!;
  return value;
}

/** The frame header at `at` (its magic already checked), or null when the data ends first. */
function readFrameHeader(data: Uint8Array, at: number): FrameHeader | null {
  const descriptor = data[at + 4];
  if (descriptor === undefined) return null;
  if ((descriptor & 0x08) !== 0) throw damagedZstd(new Error("reserved frame header bit set"));
  const singleSegment = (descriptor & 0x20) !== 0;
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 0x03]!;
  const sizeFlag = descriptor >> 6;
  const contentSizeBytes = sizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << sizeFlag;
  let offset = at + 5;
  let window = 0;
  if (!singleSegment) {
    const descriptorByte = data[offset++];
    if (descriptorByte === undefined) return null;
    const base = 2 ** (10 + (descriptorByte >> 3));
    window = base + (base / 8) * (descriptorByte & 0x07);
  }
  offset += dictionaryBytes;
  if (offset + contentSizeBytes > data.length) return null;
  let contentSize = -1;
  if (contentSizeBytes > 0) {
    contentSize = uintLe(data, offset, contentSizeBytes) + (contentSizeBytes === 2 ? 256 : 0);
  }
  if (singleSegment) window = contentSize;
  return {
    bytes: offset + contentSizeBytes - at,
    window,
    contentSize,
    checksum: (descriptor & 0x04) !== 0,
  };
}

/**
 * Walks the blocks of the frame whose blocks start at `at`; returns where the frame ends, or
 * -1 when the data ends first.
 *
 * @throws {IntegrityError} when a block is of the reserved type or larger than a block may be
 */
function skipBlocks(data: Uint8Array, at: number): number {
  for (let offset = at;;) {
    if (offset + 3 > data.length) return -1;
    const header = data[offset]! | (data[offset + 1]! << 8) | (data[offset + 2]! << 16);
    const type = (header >> 1) & 0x03;
    const size = header >>> 3;
    if (type === BLOCK_RESERVED) throw damagedZstd(new Error("reserved block type"));
    if (size > MAX_BLOCK_BYTES) throw damagedZstd(new Error(`a block of ${size} bytes`));
    offset += 3 + (type === BLOCK_RLE ? 1 : size);
    if ((header & 1) !== 0) return offset;
  }
}

/**
 * Checks that no frame in `data` declares more content than `maxSize` or a window larger than
 * `maxSize` (or 8 MiB, which every decoder must support, when that is more), and that no block
 * is larger than zstd allows, so that decoding allocates at most about `maxSize` plus one window
 * and one block.
 *
 * @throws {IntegrityError} the decoder's own messages: the output would pass `maxSize`, or the
 *   data is not zstd or is damaged
 */
export function checkZstdFrameLimits(data: Uint8Array, maxSize: number): void {
  const windowLimit = Math.min(MAX_WINDOW_BYTES, Math.max(maxSize, MIN_WINDOW_LIMIT));
  let at = 0;
  while (at + 4 <= data.length) {
    const magic = u32le(data, at);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (at + 8 > data.length) return;
      at += 8 + u32le(data, at + 4);
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw damagedZstd(new Error("no zstd frame magic"));
    const header = readFrameHeader(data, at);
    if (header === null) return;
    if (header.contentSize > maxSize) throw outputTooLarge(maxSize);
    if (header.window > windowLimit) {
      throw damagedZstd(new Error(`the frame asks for a ${header.window}-byte window`));
    }
    const end = skipBlocks(data, at + header.bytes);
    if (end < 0) return;
    at = end + (header.checksum ? 4 : 0);
  }
}
