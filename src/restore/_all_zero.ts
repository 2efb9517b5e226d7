/**
 * Finding runs of zeros in restored file data: the file writer leaves them as holes (it seeks
 * past them), so a sparse file comes back sparse. Data is looked at in blocks of 4 KiB from the
 * chunk's start; a block with data answers at its first or last byte, usually, so an ordinary
 * chunk costs a few reads per block.
 *
 * @module
 */

/** The unit zeros are looked for in: a common file system block. */
export const ZERO_BLOCK = 4096;

/** Zeros left as a hole rather than written: a whole chunk of them, or a run this long in one. */
export const MIN_HOLE_BYTES = 64 * 1024;

/** A run of zeros in a chunk: `[start, end)`. */
export interface ZeroRun {
  start: number;
  end: number;
}

/** Whether `bytes[start..end)` is non-empty and holds only zero bytes. */
export function isZeroRange(bytes: Uint8Array, start: number, end: number): boolean {
  if (end <= start || bytes[start] !== 0 || bytes[end - 1] !== 0) return false;
  let at = start;
  const head = Math.min(end, at + ((4 - ((bytes.byteOffset + at) & 3)) & 3));
  for (; at < head; at++) if (bytes[at] !== 0) return false;
  const words = (end - at) >>> 2;
  if (words > 0) {
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + at, words);
    for (let i = 0; i < words; i++) if (view[i] !== 0) return false;
  }
  for (at += words * 4; at < end; at++) if (bytes[at] !== 0) return false;
  return true;
}

/**
 * The first run of whole zero blocks in `bytes` from `from` (a block boundary) on that is at
 * least `minLength` long, or that is all of `bytes`; null when there is none. The last block may
 * be shorter (the end of `bytes`).
 */
export function findZeroRun(bytes: Uint8Array, from: number, minLength: number): ZeroRun | null {
  let start = -1;
  for (let at = from; at < bytes.length; at += ZERO_BLOCK) {
    if (isZeroRange(bytes, at, Math.min(at + ZERO_BLOCK, bytes.length))) {
      if (start < 0) start = at;
    } else if (start >= 0) {
      if (at - start >= minLength) return { start, end: at };
      start = -1;
    }
  }
  if (start < 0) return null;
  return start === 0 || bytes.length - start >= minLength ? { start, end: bytes.length } : null;
}

/** A piece of a chunk as a file writer takes it: bytes to write, or a run of zeros to skip. */
export type ChunkPiece = { data: Uint8Array; hole?: undefined } | {
  data?: undefined;
  hole: number;
};

/**
 * `chunk` cut into its data and its runs of zeros at least `minHole` long (or a chunk of nothing
 * but zeros), in order: a writer writes the data and leaves the runs as holes.
 */
export function* dataAndHoles(chunk: Uint8Array, minHole: number): Generator<ChunkPiece> {
  for (let from = 0; from < chunk.length;) {
    const zeros = findZeroRun(chunk, from, minHole);
    const end = zeros?.start ?? chunk.length;
    if (end > from) yield { data: chunk.subarray(from, end) };
    if (zeros === null) return;
    yield { hole: zeros.end - zeros.start };
    from = zeros.end;
  }
}
