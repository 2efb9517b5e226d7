/**
 * Sorting the ids of a chunk index's slots, for loading many entries at once. The ids are read
 * once in slot order (sequential memory) and their slots scattered by the ids' first two bytes
 * (a counting sort into 65,536 buckets), each with the id's next four bytes as a 32-bit key
 * beside it; each bucket, a few slots on average, is then sorted by insertion on those keys,
 * reading an id itself only when two keys tie. Equal ids end up side by side, by slot; all but
 * the lowest slot of each are dropped. Last, the ids are copied once more in slot order, each
 * to its place in one buffer, so that the result is the ids side by side in order: random
 * writes, never random reads, which cost far more.
 *
 * A bucket larger than `SMALL` (ids a client chose to share a prefix, or a very large index) is
 * sorted by a radix sort on one further byte at a time instead, so no input makes the sort worse
 * than linear in the ids times their 32 bytes. It waits on `pause` between slices of work, so a
 * million ids never hold the event loop at once.
 *
 * @module
 */
import { CHUNK_ID_BYTES } from "../format/chunk_id.ts";

/** Slot `s` keeps its id in `blocks[s >>> blockBits]`, at `(s & (2^blockBits − 1)) * 32`. */
export interface SlotIds {
  blocks: readonly Uint8Array[];
  blockBits: number;
}

/** Distinct ids in ascending order, side by side, and the slot of each. */
export interface SortedIds {
  /** `count` ids of 32 bytes, then room up to the capacity asked for. */
  ids: Uint8Array;
  /** The slot of each id, then room. */
  slots: Int32Array;
  count: number;
  /** The slots dropped because a lower slot holds the same id. */
  duplicates: number[];
}

/** Slots handled between two calls of `pause`. */
const STEP = 16_384;
const BUCKETS = 65_536;
/** Buckets up to this size are sorted by insertion; larger ones by radix. */
const SMALL = 48;
/** Where the key starts within an id: after the two bytes that chose the bucket. */
const KEY_FROM = 2;
const KEY_TO = 6;

/**
 * The ids of slots 0 … `count − 1` of `source` in order, without duplicates, in buffers whose
 * room is `count` rounded up to a multiple of `roundTo`; calls `pause` (which waits only when a
 * slice is used up) throughout.
 */
export async function sortIds(
  source: SlotIds,
  count: number,
  roundTo: number,
  pause: () => Promise<void>,
): Promise<SortedIds> {
  const room = Math.max(roundTo, Math.ceil(count / roundTo) * roundTo);
  const run: Run = { source, slots: new Int32Array(room), keys: new Uint32Array(count), pause };
  const mask = (1 << source.blockBits) - 1;
  const starts = new Int32Array(BUCKETS + 1);
  for (let from = 0; from < count; from += STEP) {
    const to = Math.min(count, from + STEP);
    for (let slot = from; slot < to; slot++) {
      const ids = source.blocks[slot >>> source.blockBits]!;
      const at = (slot & mask) * CHUNK_ID_BYTES;
      starts[((ids[at]! << 8) | ids[at + 1]!) + 1]!++;
    }
    await pause();
  }
  for (let bucket = 0; bucket < BUCKETS; bucket++) starts[bucket + 1]! += starts[bucket]!;
  const next = starts.slice(0, BUCKETS);
  for (let from = 0; from < count; from += STEP) {
    const to = Math.min(count, from + STEP);
    for (let slot = from; slot < to; slot++) {
      const ids = source.blocks[slot >>> source.blockBits]!;
      const at = (slot & mask) * CHUNK_ID_BYTES;
      const place = next[(ids[at]! << 8) | ids[at + 1]!]!++;
      run.slots[place] = slot;
      run.keys[place] = ((ids[at + 2]! << 24) | (ids[at + 3]! << 16) | (ids[at + 4]! << 8) |
        ids[at + 5]!) >>> 0;
    }
    await pause();
  }
  let sinceYield = 0;
  for (let bucket = 0; bucket < BUCKETS; bucket++) {
    const from = starts[bucket]!;
    const to = starts[bucket + 1]!;
    if (to - from <= SMALL) insertionSort(run, from, to, KEY_FROM, true);
    else await radixSort(run, from, to);
    sinceYield += to - from;
    if (sinceYield >= STEP) {
      sinceYield = 0;
      await pause();
    }
  }
  const { kept, duplicates } = await dropDuplicates(run, count);
  const ids = await placeIds(run, count, kept);
  run.keys.buffer.transfer(0); // freed now, not when the collector runs
  return { ids, slots: run.slots, count: kept, duplicates };
}

/** The work of one sort: where ids are, the slots being sorted and their keys. */
interface Run {
  source: SlotIds;
  slots: Int32Array;
  /** Bytes 2 to 5 of the id of the slot at the same position, big-endian. */
  keys: Uint32Array<ArrayBuffer>;
  pause: () => Promise<void>;
}

/**
 * Sorts positions [from, to), whose ids agree on their first `byte` bytes, by id, then slot.
 * With `byKey` (the ids agree on the bytes before the key), keys are compared first and the ids
 * themselves only when two keys tie.
 */
function insertionSort(run: Run, from: number, to: number, byte: number, byKey: boolean): void {
  const { source, slots, keys } = run;
  const tail = byKey ? KEY_TO : byte;
  for (let i = from + 1; i < to; i++) {
    const slot = slots[i]!;
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= from; j--) {
      const other = keys[j]!;
      if (byKey && key !== other) {
        if (key > other) break;
      } else {
        const order = compareSlots(source, slot, slots[j]!, tail);
        if (order > 0 || (order === 0 && slot > slots[j]!)) break;
      }
      slots[j + 1] = slots[j]!;
      keys[j + 1] = other;
    }
    slots[j + 1] = slot;
    keys[j + 1] = key;
  }
}

/**
 * Sorts positions [from, to), whose ids agree on their first two bytes, by a stable radix sort
 * on one byte at a time (most significant first), finishing small ranges by insertion. Equal ids
 * keep their slot order, which the stable passes preserve.
 */
async function radixSort(run: Run, from: number, to: number): Promise<void> {
  const { source, slots, keys } = run;
  const tempSlots = new Int32Array(to - from);
  const tempKeys = new Uint32Array(to - from);
  const ranges: [number, number, number][] = [[from, to, KEY_FROM]];
  let sinceYield = 0;
  for (let range = ranges.pop(); range !== undefined; range = ranges.pop()) {
    const [start, end, byte] = range;
    if (end - start <= SMALL) {
      insertionSort(run, start, end, byte, false);
      continue;
    }
    const counts = new Int32Array(257);
    for (let i = start; i < end; i++) counts[slotIdByte(source, slots[i]!, byte) + 1]!++;
    for (let b = 0; b < 256; b++) counts[b + 1]! += counts[b]!;
    for (let i = start; i < end; i++) {
      const place = counts[slotIdByte(source, slots[i]!, byte)]!++;
      tempSlots[place] = slots[i]!;
      tempKeys[place] = keys[i]!;
    }
    slots.set(tempSlots.subarray(0, end - start), start);
    keys.set(tempKeys.subarray(0, end - start), start);
    // counts[b] is now where byte value b + 1 begins.
    let at = start;
    for (let b = 0; b < 256; b++) {
      const stop = start + counts[b]!;
      if (stop - at > 1 && byte + 1 < CHUNK_ID_BYTES) ranges.push([at, stop, byte + 1]);
      at = stop;
    }
    sinceYield += end - start;
    if (sinceYield >= STEP) {
      sinceYield = 0;
      await run.pause();
    }
  }
}

/** Keeps the lowest slot of each run of equal ids, closing the gaps in place. */
async function dropDuplicates(
  run: Run,
  count: number,
): Promise<{ kept: number; duplicates: number[] }> {
  const { source, slots, keys } = run;
  const duplicates: number[] = [];
  let kept = 0;
  for (let i = 0; i < count; i++) {
    const slot = slots[i]!;
    if (
      kept > 0 && keys[i] === keys[kept - 1] && compareSlots(source, slot, slots[kept - 1]!) === 0
    ) {
      duplicates.push(slot);
      continue;
    }
    slots[kept] = slot;
    keys[kept] = keys[i]!;
    kept++;
    if ((i & (STEP - 1)) === STEP - 1) await run.pause();
  }
  return { kept, duplicates };
}

/**
 * The ids of the first `kept` sorted slots, side by side in their order, in a buffer as long as
 * the slots' room: each id is read in slot order and written to its place.
 */
async function placeIds(run: Run, count: number, kept: number): Promise<Uint8Array> {
  const { source, slots, pause } = run;
  const mask = (1 << source.blockBits) - 1;
  // The place of each slot, plus one (0: a dropped duplicate).
  const places = new Int32Array(count);
  for (let i = 0; i < kept; i++) places[slots[i]!] = i + 1;
  const ids = new Uint8Array(slots.length * CHUNK_ID_BYTES);
  await touchPages(ids, pause);
  for (let from = 0; from < count; from += STEP) {
    const to = Math.min(count, from + STEP);
    for (let slot = from; slot < to; slot++) {
      const place = places[slot]!;
      if (place === 0) continue;
      const block = source.blocks[slot >>> source.blockBits]!;
      const at = (slot & mask) * CHUNK_ID_BYTES;
      const into = (place - 1) * CHUNK_ID_BYTES;
      for (let k = 0; k < CHUNK_ID_BYTES; k++) ids[into + k] = block[at + k]!;
    }
    await pause();
  }
  places.buffer.transfer(0);
  return ids;
}

/** Bytes of a memory page, and how many of them `touchPages` touches between two pauses. */
const PAGE_BYTES = 4096;
const PAGES_PER_STEP = 256;

/**
 * Writes one byte of every page of `bytes`, pausing every `PAGES_PER_STEP` pages: the system
 * maps fresh memory on first touch, at some microseconds a page, and the scattered writes of
 * {@link placeIds} would touch every page of a large buffer within its first slice, holding the
 * event loop meanwhile.
 */
async function touchPages(bytes: Uint8Array, pause: () => Promise<void>): Promise<void> {
  for (let at = 0; at < bytes.length; at += PAGE_BYTES * PAGES_PER_STEP) {
    const end = Math.min(bytes.length, at + PAGE_BYTES * PAGES_PER_STEP);
    for (let page = at; page < end; page += PAGE_BYTES) bytes[page] = 0;
    await pause();
  }
}

/** Byte order of the ids of slots `a` and `b`, from byte `from` on (their earlier bytes agree). */
function compareSlots(source: SlotIds, a: number, b: number, from = 0): number {
  const mask = (1 << source.blockBits) - 1;
  const idsA = source.blocks[a >>> source.blockBits]!;
  const idsB = source.blocks[b >>> source.blockBits]!;
  const atA = (a & mask) * CHUNK_ID_BYTES;
  const atB = (b & mask) * CHUNK_ID_BYTES;
  for (let k = from; k < CHUNK_ID_BYTES; k++) {
    const d = idsA[atA + k]! - idsB[atB + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Byte `k` of the id of `slot`. */
function slotIdByte(source: SlotIds, slot: number, k: number): number {
  const ids = source.blocks[slot >>> source.blockBits]!;
  return ids[(slot & ((1 << source.blockBits) - 1)) * CHUNK_ID_BYTES + k]!;
}
