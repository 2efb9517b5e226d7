/**
 * A compact set of chunk ids: every id (32 bytes) in one buffer of shared memory, in ascending
 * byte order, looked up by binary search. 32 bytes an id, and one copy for every thread: the
 * buffer is a SharedArrayBuffer, which `postMessage` shares instead of copying, so a worker
 * opens the same memory with {@link IdSet.fromShared}. Read-only once built: nothing writes the
 * buffer after {@link IdSetBuilder.finish}, so threads need no locking to read it.
 *
 * @module
 */
import { CHUNK_ID_BYTES } from "./chunk_id.ts";

/** Most ids one set holds (4 GiB of ids); the buffer's address space is reserved up to it. */
const MAX_IDS = 2 ** 27;

/** What crosses `postMessage` to open an {@link IdSet} in another thread: shared, not copied. */
export interface SharedIds {
  /** The ids, ascending, 32 bytes each from offset 0. */
  buffer: SharedArrayBuffer;
  /** Number of ids in `buffer`. */
  size: number;
}

/** A read-only set of 32-byte chunk ids in shared memory. */
export class IdSet {
  readonly #shared: SharedIds;
  readonly #ids: Uint8Array;

  private constructor(shared: SharedIds) {
    this.#shared = shared;
    this.#ids = new Uint8Array(shared.buffer, 0, shared.size * CHUNK_ID_BYTES);
  }

  /**
   * The set of `ids` (copied; duplicates kept once), in any order.
   * @throws {RangeError} when an id is not 32 bytes
   */
  static from(ids: Iterable<Uint8Array>): IdSet {
    const list = [...ids];
    for (const id of list) checkLength(id.length);
    list.sort(compareIds);
    const unique = list.filter((id, i) => i === 0 || compareIds(list[i - 1]!, id) !== 0);
    const all = new Uint8Array(unique.length * CHUNK_ID_BYTES);
    unique.forEach((id, i) => all.set(id, i * CHUNK_ID_BYTES));
    const builder = new IdSetBuilder();
    builder.append(all);
    return builder.finish();
  }

  /**
   * The set another thread built and sent (its `shared`), without copying it.
   * @throws {RangeError} when `size` does not fit the buffer
   */
  static fromShared(shared: SharedIds): IdSet {
    if (
      !Number.isSafeInteger(shared.size) || shared.size < 0 ||
      shared.size * CHUNK_ID_BYTES > shared.buffer.byteLength
    ) {
      throw new RangeError(`Cannot open shared chunk ids: ${shared.size} ids do not fit`);
    }
    return new IdSet(shared);
  }

  /** The buffer and size to post to another thread (see {@link IdSet.fromShared}). */
  get shared(): SharedIds {
    return this.#shared;
  }

  /** Number of ids. */
  get size(): number {
    return this.#shared.size;
  }

  /** Whether `id` is in the set. */
  has(id: Uint8Array): boolean {
    const ids = this.#ids;
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const order = compareAt(ids, middle * CHUNK_ID_BYTES, id, 0);
      if (order === 0) return true;
      if (order < 0) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }
}

/**
 * Builds an {@link IdSet} from ids given in ascending order (as `list_chunks` pages them), in
 * one growing buffer of shared memory: no copy per id and no sort. Single use.
 */
export class IdSetBuilder {
  readonly #buffer = new SharedArrayBuffer(0, { maxByteLength: MAX_IDS * CHUNK_ID_BYTES });
  #size = 0;
  #done = false;

  /**
   * Appends ids, 32 bytes each back to back, each above the one before (and above every id
   * appended before).
   * @throws {RangeError} when `ids` is not whole ids, is out of order, or the set is full
   */
  append(ids: Uint8Array): void {
    if (this.#done) throw new RangeError("Cannot add chunk ids: the set is already built");
    if (ids.length % CHUNK_ID_BYTES !== 0) {
      throw new RangeError(`Cannot add chunk ids: ${ids.length} bytes are not whole ids`);
    }
    const count = ids.length / CHUNK_ID_BYTES;
    if (count === 0) return;
    if (this.#size + count > MAX_IDS) {
      throw new RangeError(`Cannot add chunk ids: more than ${MAX_IDS} ids`);
    }
    const start = this.#size * CHUNK_ID_BYTES;
    const all = new Uint8Array(this.#buffer);
    const aboveLast = this.#size === 0 || compareAt(all, start - CHUNK_ID_BYTES, ids, 0) < 0;
    if (!aboveLast || !ascending(ids)) {
      throw new RangeError("Cannot add chunk ids: they are not in ascending order");
    }
    this.#buffer.grow(start + ids.length);
    new Uint8Array(this.#buffer).set(ids, start);
    this.#size += count;
  }

  /** The set of every id appended. */
  finish(): IdSet {
    this.#done = true;
    return IdSet.fromShared({ buffer: this.#buffer, size: this.#size });
  }
}

/** Byte order of two ids: negative, zero or positive. */
export function compareIds(a: Uint8Array, b: Uint8Array): number {
  return compareAt(a, 0, b, 0);
}

function compareAt(a: Uint8Array, at: number, b: Uint8Array, bt: number): number {
  for (let i = 0; i < CHUNK_ID_BYTES; i++) {
    const d = a[at + i]! - b[bt + i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether the ids back to back in `ids` are strictly ascending. */
function ascending(ids: Uint8Array): boolean {
  for (let at = CHUNK_ID_BYTES; at < ids.length; at += CHUNK_ID_BYTES) {
    if (compareAt(ids, at - CHUNK_ID_BYTES, ids, at) >= 0) return false;
  }
  return true;
}

function checkLength(length: number): void {
  if (length !== CHUNK_ID_BYTES) {
    throw new RangeError(`Cannot use chunk id: it is ${length} bytes, not 32`);
  }
}
