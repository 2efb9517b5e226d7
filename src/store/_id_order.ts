/**
 * Chunk ids in ascending byte order, each with a number (the index's slot): a two-level sorted
 * list, a sorted directory of leaves, each a sorted run of at most `LEAF_SIZE` ids stored side by
 * side with their slots. Finding, adding and removing cost O(log n) comparisons and a shift
 * within one leaf; listing the ids above a given one costs O(log n) plus one copy per leaf of the
 * page, with no sort. No operation rebuilds the whole list, so none stalls the event loop however
 * many ids there are, and ids a client chooses cannot make any of them slower than that.
 *
 * Leaves hold copies of the ids so that a page of ids is copied in runs, not gathered one by one
 * from scattered memory; the first id of every leaf is also kept side by side in one buffer, so
 * finding a leaf reads one small buffer instead of one leaf per step.
 *
 * @module
 */
import { CHUNK_ID_BYTES } from "../format/chunk_id.ts";

/** Ids a leaf holds at most; a full leaf splits in two. */
export const LEAF_SIZE = 512;
/** A leaf this small merges into a neighbour that has room. */
const MERGE_BELOW = LEAF_SIZE / 4;
/** Leaves allocated together: one large buffer, which the system zeroes only as it is used. */
const LEAVES_PER_SLAB = 64;

interface Leaf {
  /** `count` ids, ascending, 32 bytes each. */
  ids: Uint8Array;
  /** The slot of each id. */
  slots: Int32Array;
  count: number;
}

/** Ids with their slots, kept sorted (see the module comment). */
export class IdOrder {
  /** Leaves allocated and not in use. */
  readonly #spare: Leaf[] = [];
  readonly #leaves: Leaf[] = [this.#newLeaf()];
  /** The first id of each leaf, 32 bytes each, in the leaves' order. */
  #firsts = new Uint8Array(64 * CHUNK_ID_BYTES);

  /** The slot of the 32 bytes of `id` at `at`, or -1. */
  find(id: Uint8Array, at: number): number {
    const leaf = this.#leaves[this.#leafFor(id, at)]!;
    const i = lowerBound(leaf, id, at);
    return i < leaf.count && compare(leaf, i, id, at) === 0 ? leaf.slots[i]! : -1;
  }

  /**
   * Adds the id (32 bytes of `id` at `at`) with its slot, unless the id is present.
   * @returns false when the id was present (nothing changed)
   */
  insert(id: Uint8Array, at: number, slot: number): boolean {
    let index = this.#leafFor(id, at);
    let leaf = this.#leaves[index]!;
    let i = lowerBound(leaf, id, at);
    if (i < leaf.count && compare(leaf, i, id, at) === 0) return false;
    if (leaf.count === LEAF_SIZE) {
      const upper = this.#newLeaf();
      split(leaf, upper);
      this.#addLeaf(index + 1, upper);
      this.#setFirst(index + 1);
      if (i > leaf.count) {
        i -= leaf.count;
        leaf = upper;
        index++;
      }
    }
    const base = i * CHUNK_ID_BYTES;
    leaf.ids.copyWithin(base + CHUNK_ID_BYTES, base, leaf.count * CHUNK_ID_BYTES);
    leaf.slots.copyWithin(i + 1, i, leaf.count);
    for (let k = 0; k < CHUNK_ID_BYTES; k++) leaf.ids[base + k] = id[at + k]!;
    leaf.slots[i] = slot;
    leaf.count++;
    if (i === 0) this.#setFirst(index);
    return true;
  }

  /**
   * Takes `sorted` as the whole order, for building it from many ids at once: its first `count`
   * ids (ascending, no two equal) and their slots become the leaves themselves, `LEAF_SIZE` to a
   * leaf, without a copy. The buffers' room must be a multiple of `LEAF_SIZE`; the order must be
   * empty, and owns the buffers from then on.
   * @throws {RangeError} when the order is not empty or the room is not a multiple of a leaf
   */
  adopt(sorted: { ids: Uint8Array; slots: Int32Array }, count: number): void {
    const room = sorted.slots.length;
    if (this.#leaves.length !== 1 || this.#leaves[0]!.count !== 0) {
      throw new RangeError("Cannot adopt sorted ids: the order is not empty");
    }
    if (room % LEAF_SIZE !== 0 || sorted.ids.length !== room * CHUNK_ID_BYTES || count > room) {
      throw new RangeError("Cannot adopt sorted ids: their room is not a multiple of a leaf");
    }
    if (count === 0) return;
    this.#leaves.length = 0;
    this.#firsts = new Uint8Array(Math.max(64, Math.ceil(count / LEAF_SIZE)) * CHUNK_ID_BYTES);
    for (let first = 0; first < count; first += LEAF_SIZE) {
      this.#leaves.push({
        ids: sorted.ids.subarray(first * CHUNK_ID_BYTES, (first + LEAF_SIZE) * CHUNK_ID_BYTES),
        slots: sorted.slots.subarray(first, first + LEAF_SIZE),
        count: Math.min(LEAF_SIZE, count - first),
      });
      this.#setFirst(this.#leaves.length - 1);
    }
  }

  /**
   * Empties the order and frees its memory at once (the buffers are detached, not left to the
   * garbage collector): a store that closes gives its memory back before the next one opens.
   */
  release(): void {
    const buffers = new Set<ArrayBufferLike>();
    for (const leaf of [...this.#leaves, ...this.#spare]) {
      buffers.add(leaf.ids.buffer);
      buffers.add(leaf.slots.buffer);
    }
    this.#leaves.length = 0;
    this.#spare.length = 0;
    for (const buffer of buffers) if (buffer instanceof ArrayBuffer) buffer.transfer(0);
    this.#leaves.push(this.#newLeaf());
    this.#firsts = new Uint8Array(64 * CHUNK_ID_BYTES);
  }

  /** Removes the id (32 bytes of `id` at `at`); an id not in the order is ignored. */
  remove(id: Uint8Array, at: number): void {
    const index = this.#leafFor(id, at);
    const leaf = this.#leaves[index]!;
    const i = lowerBound(leaf, id, at);
    if (i >= leaf.count || compare(leaf, i, id, at) !== 0) return;
    leaf.ids.copyWithin(i * CHUNK_ID_BYTES, (i + 1) * CHUNK_ID_BYTES, leaf.count * CHUNK_ID_BYTES);
    leaf.slots.copyWithin(i, i + 1, leaf.count);
    leaf.count--;
    if (i === 0 && leaf.count > 0) this.#setFirst(index);
    if (leaf.count < MERGE_BELOW) this.#mergeAround(index);
  }

  /**
   * Copies into `target` (from its start) the ids above `after` (all ids when it is undefined),
   * ascending, as many as `target` holds whole.
   * @returns how many ids it copied, and whether more follow them
   */
  copyAfter(after: Uint8Array | undefined, target: Uint8Array): { count: number; more: boolean } {
    let index = 0;
    let i = 0;
    if (after !== undefined) {
      index = this.#leafFor(after, 0);
      const leaf = this.#leaves[index]!;
      i = lowerBound(leaf, after, 0);
      if (i < leaf.count && compare(leaf, i, after, 0) === 0) i++;
    }
    const limit = Math.floor(target.length / CHUNK_ID_BYTES);
    let count = 0;
    for (; index < this.#leaves.length; index++, i = 0) {
      const leaf = this.#leaves[index]!;
      const take = Math.min(leaf.count - i, limit - count);
      if (take > 0) {
        const ids = leaf.ids.subarray(i * CHUNK_ID_BYTES, (i + take) * CHUNK_ID_BYTES);
        target.set(ids, count * CHUNK_ID_BYTES);
        count += take;
        i += take;
      }
      // Only a lone leaf is ever empty, so a further leaf means further ids.
      if (count === limit) {
        return { count, more: i < leaf.count || index + 1 < this.#leaves.length };
      }
    }
    return { count, more: false };
  }

  /** The leaf that holds, or would hold, the id: the last whose first id is not above it. */
  #leafFor(id: Uint8Array, at: number): number {
    const firsts = this.#firsts;
    let low = 0;
    let high = this.#leaves.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (compareAt(firsts, middle * CHUNK_ID_BYTES, id, at) <= 0) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** Records the first id of the leaf at `index`. */
  #setFirst(index: number): void {
    this.#firsts.set(this.#leaves[index]!.ids.subarray(0, CHUNK_ID_BYTES), index * CHUNK_ID_BYTES);
  }

  /** Puts `leaf` at `index` of the directory; the caller records its first id. */
  #addLeaf(index: number, leaf: Leaf): void {
    this.#leaves.splice(index, 0, leaf);
    const bytes = this.#leaves.length * CHUNK_ID_BYTES;
    if (bytes > this.#firsts.length) {
      const firsts = new Uint8Array(this.#firsts.length * 2);
      firsts.set(this.#firsts);
      this.#firsts = firsts;
    }
    const at = index * CHUNK_ID_BYTES;
    this.#firsts.copyWithin(at + CHUNK_ID_BYTES, at, bytes - CHUNK_ID_BYTES);
  }

  /** Takes the leaf at `index` out of the directory. */
  #dropLeaf(index: number): void {
    this.#spare.push(...this.#leaves.splice(index, 1));
    const at = index * CHUNK_ID_BYTES;
    this.#firsts.copyWithin(at, at + CHUNK_ID_BYTES, (this.#leaves.length + 1) * CHUNK_ID_BYTES);
  }

  /** An empty leaf: a spare one, or one of a new slab (the rest become spares). */
  #newLeaf(): Leaf {
    const spare = this.#spare.pop();
    if (spare !== undefined) {
      spare.count = 0;
      return spare;
    }
    const leafBytes = LEAF_SIZE * (CHUNK_ID_BYTES + 4);
    const slab = new ArrayBuffer(LEAVES_PER_SLAB * leafBytes);
    for (let at = leafBytes; at < slab.byteLength; at += leafBytes) {
      this.#spare.push(leafIn(slab, at));
    }
    return leafIn(slab, 0);
  }

  /** Merges the leaf at `index` with a neighbour when both fit in half a leaf. */
  #mergeAround(index: number): void {
    const leaves = this.#leaves;
    const leaf = leaves[index]!;
    const next = leaves[index + 1];
    const previous = leaves[index - 1];
    if (next !== undefined && leaf.count + next.count <= LEAF_SIZE / 2) {
      append(leaf, next);
      this.#dropLeaf(index + 1);
      this.#setFirst(index); // it may have been empty
    } else if (previous !== undefined && previous.count + leaf.count <= LEAF_SIZE / 2) {
      append(previous, leaf);
      this.#dropLeaf(index);
    } else if (leaf.count === 0 && leaves.length > 1) {
      this.#dropLeaf(index);
    }
  }
}

/** An empty leaf whose ids and slots lie in `slab` from `at`. */
function leafIn(slab: ArrayBuffer, at: number): Leaf {
  return {
    ids: new Uint8Array(slab, at, LEAF_SIZE * CHUNK_ID_BYTES),
    slots: new Int32Array(slab, at + LEAF_SIZE * CHUNK_ID_BYTES, LEAF_SIZE),
    count: 0,
  };
}

/** Moves the upper half of a full leaf into the empty leaf `upper`. */
function split(leaf: Leaf, upper: Leaf): void {
  const half = leaf.count >>> 1;
  upper.ids.set(leaf.ids.subarray(half * CHUNK_ID_BYTES, leaf.count * CHUNK_ID_BYTES));
  upper.slots.set(leaf.slots.subarray(half, leaf.count));
  upper.count = leaf.count - half;
  leaf.count = half;
}

/** Appends the entries of `from` to `to`. */
function append(to: Leaf, from: Leaf): void {
  to.ids.set(from.ids.subarray(0, from.count * CHUNK_ID_BYTES), to.count * CHUNK_ID_BYTES);
  to.slots.set(from.slots.subarray(0, from.count), to.count);
  to.count += from.count;
}

/** First position in `leaf` whose id is not below the id at `at` of `id`. */
function lowerBound(leaf: Leaf, id: Uint8Array, at: number): number {
  let low = 0;
  let high = leaf.count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(leaf, middle, id, at) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Order of the id at position `i` of `leaf` (above all when past its end) against the id. */
function compare(leaf: Leaf, i: number, id: Uint8Array, at: number): number {
  return i >= leaf.count ? 1 : compareAt(leaf.ids, i * CHUNK_ID_BYTES, id, at);
}

/** Byte order of the 32 bytes at `base` of `ids` against those at `at` of `id`. */
function compareAt(ids: Uint8Array, base: number, id: Uint8Array, at: number): number {
  for (let k = 0; k < CHUNK_ID_BYTES; k++) {
    const d = ids[base + k]! - id[at + k]!;
    if (d !== 0) return d;
  }
  return 0;
}
