/**
 * The slots of a chunk index in the byte order of their ids: a two-level sorted list (a sorted
 * directory of leaves, each a sorted run of at most `LEAF_SIZE` slots with the first 4 bytes of
 * each id beside it). Finding, adding and removing cost O(log n) comparisons and a shift within
 * one leaf; listing the ids after a given one costs O(log n + page), with no sort. No operation
 * rebuilds the whole list, so none stalls the event loop however many ids there are, and a
 * client choosing ids cannot make any of them slower than that.
 *
 * The ids themselves stay in the index's buffer (passed to each call, since the index replaces
 * it when it grows): a slot's id must not change while the slot is in the order.
 *
 * @module
 */
import { CHUNK_ID_BYTES } from "../format/chunk_id.ts";

/** Slots a leaf holds at most; a full leaf splits in two. */
const LEAF_SIZE = 512;
/** A leaf this small merges into a neighbour that has room. */
const MERGE_BELOW = LEAF_SIZE / 4;

interface Leaf {
  /** Slot numbers, ascending by id. */
  slots: Int32Array;
  /** The first 4 bytes of each slot's id, big-endian. */
  heads: Uint32Array;
  count: number;
}

/** The slots of an index, kept sorted by id (see the module comment). */
export class IdOrder {
  #leaves: Leaf[] = [newLeaf()];

  /** The slot whose id is the 32 bytes of `id` at `at`, or -1. */
  find(ids: Uint8Array, id: Uint8Array, at: number): number {
    const head = headOf(id, at);
    const leaf = this.#leaves[this.#leafFor(ids, head, id, at)]!;
    const i = lowerBound(leaf, ids, head, id, at);
    if (i < leaf.count && compare(leaf, i, ids, head, id, at) === 0) return leaf.slots[i]!;
    return -1;
  }

  /** Adds `slot`, whose id (in `ids`) is not in the order yet. */
  insert(ids: Uint8Array, slot: number): void {
    const at = slot * CHUNK_ID_BYTES;
    const head = headOf(ids, at);
    let index = this.#leafFor(ids, head, ids, at);
    let leaf = this.#leaves[index]!;
    let i = lowerBound(leaf, ids, head, ids, at);
    if (leaf.count === LEAF_SIZE) {
      const upper = split(leaf);
      this.#leaves.splice(index + 1, 0, upper);
      if (i > leaf.count) {
        i -= leaf.count;
        leaf = upper;
        index++;
      }
    }
    leaf.slots.copyWithin(i + 1, i, leaf.count);
    leaf.heads.copyWithin(i + 1, i, leaf.count);
    leaf.slots[i] = slot;
    leaf.heads[i] = head;
    leaf.count++;
  }

  /** Removes `slot` (its id still in `ids`); a slot not in the order is ignored. */
  remove(ids: Uint8Array, slot: number): void {
    const at = slot * CHUNK_ID_BYTES;
    const head = headOf(ids, at);
    const index = this.#leafFor(ids, head, ids, at);
    const leaf = this.#leaves[index]!;
    const i = lowerBound(leaf, ids, head, ids, at);
    if (i >= leaf.count || leaf.slots[i] !== slot) return;
    leaf.slots.copyWithin(i, i + 1, leaf.count);
    leaf.heads.copyWithin(i, i + 1, leaf.count);
    leaf.count--;
    if (leaf.count < MERGE_BELOW) this.#mergeAround(index);
  }

  /**
   * Copies into `target` (from its start) the ids that follow `after` (all ids when it is
   * undefined), ascending, as many as `target` holds whole.
   * @returns how many ids it copied, and whether more follow them
   */
  copyAfter(
    ids: Uint8Array,
    after: Uint8Array | undefined,
    target: Uint8Array,
  ): { count: number; more: boolean } {
    let index = 0;
    let i = 0;
    if (after !== undefined) {
      const head = headOf(after, 0);
      index = this.#leafFor(ids, head, after, 0);
      const leaf = this.#leaves[index]!;
      i = lowerBound(leaf, ids, head, after, 0);
      if (i < leaf.count && compare(leaf, i, ids, head, after, 0) === 0) i++;
    }
    const limit = Math.floor(target.length / CHUNK_ID_BYTES);
    let count = 0;
    for (; index < this.#leaves.length; index++, i = 0) {
      const leaf = this.#leaves[index]!;
      for (; i < leaf.count; i++) {
        if (count === limit) return { count, more: true };
        const from = leaf.slots[i]! * CHUNK_ID_BYTES;
        const to = count * CHUNK_ID_BYTES;
        for (let k = 0; k < CHUNK_ID_BYTES; k++) target[to + k] = ids[from + k]!;
        count++;
      }
    }
    return { count, more: false };
  }

  /** The leaf that holds, or would hold, the id: the last whose first id is not above it. */
  #leafFor(ids: Uint8Array, head: number, id: Uint8Array, at: number): number {
    let low = 0;
    let high = this.#leaves.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (compare(this.#leaves[middle]!, 0, ids, head, id, at) <= 0) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** Merges the leaf at `index` with a neighbour when both fit in half a leaf. */
  #mergeAround(index: number): void {
    const leaves = this.#leaves;
    const leaf = leaves[index]!;
    const next = leaves[index + 1];
    const previous = leaves[index - 1];
    if (next !== undefined && leaf.count + next.count <= LEAF_SIZE / 2) {
      append(leaf, next);
      leaves.splice(index + 1, 1);
    } else if (previous !== undefined && previous.count + leaf.count <= LEAF_SIZE / 2) {
      append(previous, leaf);
      leaves.splice(index, 1);
    } else if (leaf.count === 0 && leaves.length > 1) {
      leaves.splice(index, 1);
    }
  }
}

function newLeaf(): Leaf {
  return { slots: new Int32Array(LEAF_SIZE), heads: new Uint32Array(LEAF_SIZE), count: 0 };
}

/** Moves the upper half of a full leaf into a new leaf, which it returns. */
function split(leaf: Leaf): Leaf {
  const upper = newLeaf();
  const half = leaf.count >>> 1;
  upper.slots.set(leaf.slots.subarray(half, leaf.count));
  upper.heads.set(leaf.heads.subarray(half, leaf.count));
  upper.count = leaf.count - half;
  leaf.count = half;
  return upper;
}

/** Appends the entries of `from` to `to`. */
function append(to: Leaf, from: Leaf): void {
  to.slots.set(from.slots.subarray(0, from.count), to.count);
  to.heads.set(from.heads.subarray(0, from.count), to.count);
  to.count += from.count;
}

/** First position in `leaf` whose id is not below the id. */
function lowerBound(
  leaf: Leaf,
  ids: Uint8Array,
  head: number,
  id: Uint8Array,
  at: number,
): number {
  let low = 0;
  let high = leaf.count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(leaf, middle, ids, head, id, at) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Order of the id at position `i` of `leaf` against the id at `at` of `id` (head `head`). */
function compare(
  leaf: Leaf,
  i: number,
  ids: Uint8Array,
  head: number,
  id: Uint8Array,
  at: number,
): number {
  if (i >= leaf.count) return 1;
  const mine = leaf.heads[i]!;
  if (mine !== head) return mine < head ? -1 : 1;
  const base = leaf.slots[i]! * CHUNK_ID_BYTES;
  for (let k = 4; k < CHUNK_ID_BYTES; k++) {
    const d = ids[base + k]! - id[at + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** The first 4 bytes of the id at `at`, as an unsigned big-endian number. */
function headOf(id: Uint8Array, at: number): number {
  return ((id[at]! << 24) | (id[at + 1]! << 16) | (id[at + 2]! << 8) | id[at + 3]!) >>> 0;
}
