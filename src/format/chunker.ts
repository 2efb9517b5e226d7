/**
 * Content-defined chunking: FastCDC (Xia et al., USENIX ATC 2016; IEEE TPDS 2020) with
 * normalized chunking, level 2.
 *
 * A gear rolling hash runs over the bytes, `h = (h << 1) + gear[byte]` in 32 bits, so the hash
 * at a position depends only on the last 32 bytes. The first `minSize` bytes of a chunk are
 * skipped without hashing; the chunk ends after the first byte whose hash has all the bits of a
 * mask clear: `maskS` (log2(avgSize) + 2 bits, cuts rarely) before `avgSize`, `maskL`
 * (log2(avgSize) - 2 bits, cuts often) from `avgSize` on, and at `maxSize` if no byte matches.
 * Normalization pulls chunk sizes towards `avgSize`; as the paper does, the mask bits are spread
 * over the whole hash rather than taken from its low end, so every bit of the 32-byte window
 * counts. So every chunk but the last is longer than `minSize` and at most `maxSize` bytes, and
 * because a cut depends only on the bytes since the chunk began, an insertion or deletion moves
 * the cuts near the edit only: the chunks after it are found again and deduplicated.
 *
 * `findCut` is a pure function over a window of bytes, made for streaming a large file through
 * a reused buffer: its answer never depends on how the input was split into windows.
 *
 * The gear table is an argument (`RepositoryKeys.gear`): a repository made with a version-2 key
 * file has a table derived from its key (`gear_table.ts`), so where a known file is cut, and so
 * the sizes of its blobs, cannot be predicted without that key; older repositories keep the
 * fixed public table, so their data still deduplicates.
 *
 * STABILITY: the cut points are part of the repository format. The gear tables, the mask bit
 * order, the defaults in `DEFAULT_CHUNKER_PARAMS` and the rules above are pinned by golden
 * vectors in `chunker_test.ts`; changing any of them makes new backups stop deduplicating
 * against chunks already stored.
 *
 * @module
 */
import { GEAR_TABLE_ENTRIES, type GearTable } from "./gear_table.ts";

/** Sizes, in bytes, that steer the chunker. */
export interface ChunkerParams {
  /** No cut is made before this many bytes; the first `minSize` bytes are not even hashed. */
  readonly minSize: number;
  /** The target chunk size; a power of two, strictly between `minSize` and `maxSize`. */
  readonly avgSize: number;
  /** A chunk is cut here if no cut point was found; at most `MAX_CHUNK_SIZE`. */
  readonly maxSize: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** The largest `maxSize` allowed: a streaming window of this size always holds a whole chunk. */
export const MAX_CHUNK_SIZE: number = 8 * MiB;

/** The parameters every repository uses: 256 KiB / 1 MiB / 4 MiB. Part of the format. */
export const DEFAULT_CHUNKER_PARAMS: ChunkerParams = Object.freeze({
  minSize: 256 * KiB,
  avgSize: 1 * MiB,
  maxSize: 4 * MiB,
});

/** The smallest `minSize` allowed (the hash window is 32 bytes). */
const MIN_MIN_SIZE = 64;

/** The two masks of normalized chunking (level 2) for some `avgSize`. */
export interface ChunkerMasks {
  /** Used before `avgSize`: log2(avgSize) + 2 bits. */
  readonly maskS: number;
  /** Used from `avgSize` on: log2(avgSize) - 2 bits. */
  readonly maskL: number;
}

/**
 * A mask with `bits` bits set, spread over the 32-bit hash. Bits are taken in van der Corput
 * order (bit 31 - reverse5(i) for i = 0, 1, 2, ...): bit 31 first, so the whole 32-byte window
 * counts, then the ones halfway between, and so on. Masks for fewer bits are subsets of masks
 * for more bits, as maskL is a subset of maskS in the FastCDC paper.
 */
function spreadMask(bits: number): number {
  let mask = 0;
  for (let i = 0; i < bits; i++) {
    let reversed = 0;
    for (let b = 0; b < 5; b++) reversed |= ((i >> b) & 1) << (4 - b);
    mask |= 1 << (31 - reversed);
  }
  return mask | 0;
}

/**
 * The masks `findCut` uses for the given parameters (as signed 32-bit integers).
 *
 * @throws {RangeError} If the parameters are invalid (see `validateChunkerParams`).
 */
export function chunkerMasks(params: ChunkerParams = DEFAULT_CHUNKER_PARAMS): ChunkerMasks {
  validateChunkerParams(params);
  const bits = Math.log2(params.avgSize);
  return { maskS: spreadMask(bits + 2), maskL: spreadMask(bits - 2) };
}

/**
 * Check chunker parameters: integers, `64 <= minSize < avgSize < maxSize <= MAX_CHUNK_SIZE`,
 * `avgSize` a power of two.
 *
 * @throws {RangeError} If any of these does not hold.
 */
export function validateChunkerParams(params: ChunkerParams): void {
  const { minSize, avgSize, maxSize } = params;
  for (const [name, value] of [["minSize", minSize], ["avgSize", avgSize], ["maxSize", maxSize]]) {
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`Cannot use chunker parameters: ${name} "${value}" is not an integer`);
    }
  }
  if ((avgSize & (avgSize - 1)) !== 0 || avgSize <= 0) {
    throw new RangeError(
      `Cannot use chunker parameters: avgSize "${avgSize}" is not a power of two`,
    );
  }
  if (!(MIN_MIN_SIZE <= minSize && minSize < avgSize && avgSize < maxSize)) {
    throw new RangeError(
      `Cannot use chunker parameters: need ${MIN_MIN_SIZE} <= minSize < avgSize < maxSize, ` +
        `got "${minSize}", "${avgSize}", "${maxSize}"`,
    );
  }
  if (maxSize > MAX_CHUNK_SIZE) {
    throw new RangeError(
      `Cannot use chunker parameters: maxSize "${maxSize}" is above "${MAX_CHUNK_SIZE}"`,
    );
  }
}

let cachedParams: ChunkerParams = { ...DEFAULT_CHUNKER_PARAMS };
let cachedMasks: ChunkerMasks = chunkerMasks(DEFAULT_CHUNKER_PARAMS);

/**
 * Masks for `params`, validated. Remembers the last parameters (by value, so a caller mutating
 * its object cannot slip past validation) so that repeated calls are cheap.
 */
function masksFor(params: ChunkerParams): ChunkerMasks {
  const { minSize, avgSize, maxSize } = params;
  if (
    minSize !== cachedParams.minSize || avgSize !== cachedParams.avgSize ||
    maxSize !== cachedParams.maxSize
  ) {
    cachedMasks = chunkerMasks(params);
    cachedParams = { minSize, avgSize, maxSize };
  }
  return cachedMasks;
}

/**
 * The length of the next chunk starting at `start`, given that bytes `[start, end)` of `data`
 * are available.
 *
 * Returns 0 when more data is needed to decide: `final` is false, fewer than `maxSize` bytes are
 * available and none of them ends a chunk. When `final` is true (no more data will follow
 * `end`) it returns a length > 0 for any non-empty range, the tail becoming the last chunk; for
 * an empty range it returns 0. A non-zero answer is the same whatever `end` was, as long as
 * the bytes are the same: cut points do not depend on how the input is windowed.
 *
 * For streaming, call it with at least `maxSize` bytes available unless at the end of input
 * (refill the window before it runs short): a 0 answer means the bytes were scanned for nothing.
 *
 * @param data The window holding the bytes.
 * @param start Offset in `data` where the chunk begins.
 * @param end Offset in `data` one past the last available byte.
 * @param final Whether the input ends at `end`.
 * @param gear The repository's gear table (`RepositoryKeys.gear`).
 * @param params Chunker parameters; `DEFAULT_CHUNKER_PARAMS` for repositories.
 * @returns The chunk length in bytes (0 < length <= `maxSize`), or 0 as described above.
 * @throws {RangeError} If the parameters are invalid, the table does not have 256 entries, or
 *   not `0 <= start <= end <= data.length`.
 */
export function findCut(
  data: Uint8Array,
  start: number,
  end: number,
  final: boolean,
  gear: GearTable,
  params: ChunkerParams = DEFAULT_CHUNKER_PARAMS,
): number {
  if (
    !(Number.isSafeInteger(start) && Number.isSafeInteger(end)) || start < 0 || start > end ||
    end > data.length
  ) {
    throw new RangeError(
      `Cannot find a cut point: range "${start}".."${end}" is outside "0".."${data.length}"`,
    );
  }
  if (!(gear instanceof Int32Array) || gear.length !== GEAR_TABLE_ENTRIES) {
    throw new RangeError(
      `Cannot find a cut point: the gear table is not ${GEAR_TABLE_ENTRIES} 32-bit entries`,
    );
  }
  const { maskS, maskL } = masksFor(params);
  const available = end - start;
  const limit = start + Math.min(available, params.maxSize);
  const normalEnd = Math.min(start + params.avgSize, limit);
  let h = 0;
  let i = start + params.minSize;
  for (; i < normalEnd; i++) {
    h = ((h << 1) + gear[data[i]!]!) | 0;
    if ((h & maskS) === 0) return i + 1 - start;
  }
  for (; i < limit; i++) {
    h = ((h << 1) + gear[data[i]!]!) | 0;
    if ((h & maskL) === 0) return i + 1 - start;
  }
  if (available >= params.maxSize) return params.maxSize;
  return final ? available : 0;
}

/**
 * The lengths of all chunks of a whole buffer, in order (empty for an empty buffer). For
 * manifests, tests and small inputs; stream large files through `findCut`.
 *
 * @param gear The repository's gear table (`RepositoryKeys.gear`).
 * @throws {RangeError} If the parameters or the table are invalid.
 */
export function chunkBoundaries(
  data: Uint8Array,
  gear: GearTable,
  params: ChunkerParams = DEFAULT_CHUNKER_PARAMS,
): number[] {
  const lengths: number[] = [];
  for (let start = 0; start < data.length;) {
    const length = findCut(data, start, data.length, true, gear, params);
    lengths.push(length);
    start += length;
  }
  return lengths;
}
