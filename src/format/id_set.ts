/**
 * A compact set of chunk ids: every id (32 bytes) in one buffer, sorted by byte order, looked up
 * by binary search. 32 bytes an id, against several hundred for a Set of hex strings.
 *
 * @module
 */
import { CHUNK_ID_BYTES } from "./chunk_id.ts";

/** A read-only set of 32-byte chunk ids. */
export class IdSet {
  readonly #ids: Uint8Array;

  private constructor(sorted: Uint8Array) {
    this.#ids = sorted;
  }

  /**
   * The set of `ids` (copied). Ids already in ascending order (as `list_chunks` pages them) are
   * taken as they are; others are sorted.
   * @throws {RangeError} when an id is not 32 bytes
   */
  static from(ids: Iterable<Uint8Array>): IdSet {
    const list = Array.isArray(ids) ? ids as Uint8Array[] : [...ids];
    let sorted = true;
    for (let i = 0; i < list.length; i++) {
      if (list[i]!.length !== CHUNK_ID_BYTES) {
        throw new RangeError(`Cannot use chunk id: it is ${list[i]!.length} bytes, not 32`);
      }
      if (i > 0 && compareIds(list[i - 1]!, list[i]!) > 0) sorted = false;
    }
    if (!sorted) list.sort(compareIds);
    const all = new Uint8Array(list.length * CHUNK_ID_BYTES);
    list.forEach((id, i) => all.set(id, i * CHUNK_ID_BYTES));
    return new IdSet(all);
  }

  /** Number of ids (duplicates count once each time they were given). */
  get size(): number {
    return this.#ids.length / CHUNK_ID_BYTES;
  }

  /** Whether `id` is in the set. */
  has(id: Uint8Array): boolean {
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const order = compareAt(this.#ids, middle * CHUNK_ID_BYTES, id);
      if (order === 0) return true;
      if (order < 0) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }
}

/** Byte order of two ids: negative, zero or positive. */
export function compareIds(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < CHUNK_ID_BYTES; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function compareAt(all: Uint8Array, at: number, id: Uint8Array): number {
  for (let i = 0; i < CHUNK_ID_BYTES; i++) {
    const d = all[at + i]! - id[i]!;
    if (d !== 0) return d;
  }
  return 0;
}
