/**
 * A growing set of chunk ids, for the ids one run makes (blobs sealed or sent by one push): open
 * addressing over one buffer, 32 bytes a place, at most half the places used, so about 64 bytes an
 * id and no object per id. Its size follows the run, not the repository: the ids the server
 * already holds are an {@link IdSet}.
 *
 * Ids are keyed hashes, evenly spread, so their first bytes index the table directly; the ids
 * come from the client's own hashing, so no one else can aim them at one place.
 *
 * @module
 */
import { CHUNK_ID_BYTES } from "./chunk_id.ts";

/** Places in a new table. */
const INITIAL_PLACES = 64;

/** A set of 32-byte ids that grows as ids are added. */
export class IdHashSet {
  #ids = new Uint8Array(INITIAL_PLACES * CHUNK_ID_BYTES);
  #used = new Uint8Array(INITIAL_PLACES);
  #size = 0;

  /** Number of ids. */
  get size(): number {
    return this.#size;
  }

  /** Whether `id` is in the set. @throws {RangeError} when `id` is not 32 bytes */
  has(id: Uint8Array): boolean {
    return this.#used[this.#place(id)] === 1;
  }

  /**
   * Adds a copy of `id`.
   * @returns true when it was not in the set yet
   * @throws {RangeError} when `id` is not 32 bytes
   */
  add(id: Uint8Array): boolean {
    let place = this.#place(id);
    if (this.#used[place] === 1) return false;
    if ((this.#size + 1) * 2 > this.#used.length) {
      this.#grow();
      place = this.#place(id);
    }
    this.#ids.set(id, place * CHUNK_ID_BYTES);
    this.#used[place] = 1;
    this.#size++;
    return true;
  }

  /** The place holding `id`, or the free place where it would go. */
  #place(id: Uint8Array): number {
    if (id.length !== CHUNK_ID_BYTES) {
      throw new RangeError(`Cannot use chunk id: it is ${id.length} bytes, not 32`);
    }
    const mask = this.#used.length - 1;
    let place = ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) & mask;
    while (this.#used[place] === 1 && !this.#holds(place, id)) place = (place + 1) & mask;
    return place;
  }

  #holds(place: number, id: Uint8Array): boolean {
    const base = place * CHUNK_ID_BYTES;
    for (let i = 0; i < CHUNK_ID_BYTES; i++) if (this.#ids[base + i] !== id[i]) return false;
    return true;
  }

  /** Doubles the table and places every id again. */
  #grow(): void {
    const ids = this.#ids;
    const used = this.#used;
    this.#ids = new Uint8Array(ids.length * 2);
    this.#used = new Uint8Array(used.length * 2);
    for (let place = 0; place < used.length; place++) {
      if (used[place] !== 1) continue;
      const id = ids.subarray(place * CHUNK_ID_BYTES, (place + 1) * CHUNK_ID_BYTES);
      const target = this.#place(id);
      this.#ids.set(id, target * CHUNK_ID_BYTES);
      this.#used[target] = 1;
    }
  }
}
