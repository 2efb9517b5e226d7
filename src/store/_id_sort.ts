/**
 * Sorting the slots of a chunk index by id, for loading many entries at once: a most-significant-
 * digit radix sort (65,536 buckets on the first two bytes, then 256 on each further byte where a
 * bucket is still large, insertion sort for small ones), equal ids ordered by slot. Its work is
 * linear in the number of ids times the bytes that tell them apart, so ids a client chose to share
 * long prefixes slow it down only by those bytes; and it waits on `pause` between slices, so a
 * million ids never hold the event loop at once.
 *
 * @module
 */
import { CHUNK_ID_BYTES } from "../format/chunk_id.ts";

/** Where slot `s` keeps its id: `blocks[s >>> blockBits]`, at `(s & mask) * 32`. */
export interface SlotIds {
  blocks: readonly Uint8Array[];
  blockBits: number;
}

/** Ranges at most this long are sorted by insertion. */
const SMALL = 24;
/** Slots handled between two calls of `pause` in the linear passes. */
const STEP = 16_384;

interface Sorting extends SlotIds {
  mask: number;
  slots: Int32Array;
  temp: Int32Array;
  pause: () => Promise<void>;
}

/**
 * Slots 0 … `count - 1` sorted by their ids (equal ids by slot), calling `pause` (which waits
 * only when a slice is used up) throughout.
 */
export async function sortSlotsById(
  source: SlotIds,
  count: number,
  pause: () => Promise<void>,
): Promise<Int32Array> {
  const sorting: Sorting = {
    ...source,
    mask: (1 << source.blockBits) - 1,
    slots: new Int32Array(count),
    temp: new Int32Array(count),
    pause,
  };
  const starts = await partitionTop(sorting, count);
  for (let bucket = 0; bucket < 65_536; bucket++) {
    await sortRange(sorting, starts[bucket]!, starts[bucket + 1]!, 2);
    if ((bucket & 1023) === 0) await pause();
  }
  return sorting.slots;
}

/** Scatters the slots into `slots` by their first two bytes; returns where each bucket starts. */
async function partitionTop(s: Sorting, count: number): Promise<Int32Array> {
  const starts = new Int32Array(65_537);
  for (let from = 0; from < count; from += STEP) {
    for (let slot = from; slot < Math.min(count, from + STEP); slot++) {
      starts[topKey(s, slot) + 1]!++;
    }
    await s.pause();
  }
  for (let bucket = 0; bucket < 65_536; bucket++) starts[bucket + 1]! += starts[bucket]!;
  const next = starts.slice(0, 65_536);
  for (let from = 0; from < count; from += STEP) {
    for (let slot = from; slot < Math.min(count, from + STEP); slot++) {
      s.slots[next[topKey(s, slot)]!++] = slot;
    }
    await s.pause();
  }
  return starts;
}

function topKey(s: Sorting, slot: number): number {
  const ids = s.blocks[slot >>> s.blockBits]!;
  const at = (slot & s.mask) * CHUNK_ID_BYTES;
  return (ids[at]! << 8) | ids[at + 1]!;
}

/** Sorts `slots[low, high)`, whose ids agree on their first `depth` bytes. */
async function sortRange(s: Sorting, low: number, high: number, depth: number): Promise<void> {
  while (high - low > SMALL && depth < CHUNK_ID_BYTES) {
    const counts = new Int32Array(257);
    for (let i = low; i < high; i++) counts[byteOf(s, s.slots[i]!, depth) + 1]!++;
    if (counts.some((n) => n === high - low)) {
      depth++; // one byte value for all: nothing to split on
      continue;
    }
    for (let b = 0; b < 256; b++) counts[b + 1]! += counts[b]!;
    for (let i = low; i < high; i++) {
      const slot = s.slots[i]!;
      s.temp[low + counts[byteOf(s, slot, depth)]!++] = slot;
    }
    s.slots.set(s.temp.subarray(low, high), low);
    let start = low;
    for (let b = 0; b < 256; b++) {
      const end = low + counts[b]!;
      if (end - start > 1) await sortRange(s, start, end, depth + 1);
      start = end;
    }
    await s.pause();
    return;
  }
  insertionSort(s, low, high, depth);
}

function byteOf(s: Sorting, slot: number, depth: number): number {
  return s.blocks[slot >>> s.blockBits]![(slot & s.mask) * CHUNK_ID_BYTES + depth]!;
}

function insertionSort(s: Sorting, low: number, high: number, depth: number): void {
  const slots = s.slots;
  for (let i = low + 1; i < high; i++) {
    const slot = slots[i]!;
    let j = i - 1;
    while (j >= low && compareFrom(s, slots[j]!, slot, depth) > 0) {
      slots[j + 1] = slots[j]!;
      j--;
    }
    slots[j + 1] = slot;
  }
}

/** Order of two slots by their ids from byte `depth` on, then by slot number. */
function compareFrom(s: Sorting, a: number, b: number, depth: number): number {
  const idsA = s.blocks[a >>> s.blockBits]!;
  const idsB = s.blocks[b >>> s.blockBits]!;
  const atA = (a & s.mask) * CHUNK_ID_BYTES;
  const atB = (b & s.mask) * CHUNK_ID_BYTES;
  for (let k = depth; k < CHUNK_ID_BYTES; k++) {
    const d = idsA[atA + k]! - idsB[atB + k]!;
    if (d !== 0) return d;
  }
  return a - b;
}
