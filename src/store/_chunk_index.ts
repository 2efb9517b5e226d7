/**
 * The in-memory index of a pack store: chunk id → (pack number, offset, length), kept compact in
 * typed arrays rather than objects per entry (figures in docs/PERFORMANCE.md).
 *
 * Entries live in "slots" of parallel typed arrays; a Map from a 30-bit key (a keyed mix of the
 * id's first 8 bytes, so a client cannot aim many ids at one key without knowing the process's
 * random seed) to the first slot of a chain of slots sharing that key. The full id is always
 * compared, so key collisions only cost a step along the chain.
 *
 * @module
 */
import { CHUNK_ID_BYTES } from "../format/chunk_id.ts";

const NONE = -1;
const SEED = crypto.getRandomValues(new Int32Array(2));

/** A compact map from chunk id to its place in a pack. */
export class ChunkIndex {
  #heads = new Map<number, number>();
  #ids = new Uint8Array(0);
  #next = new Int32Array(0);
  /** Pack number of each slot, or NONE when the slot is free. */
  #pack = new Int32Array(0);
  #offset = new Float64Array(0);
  #length = new Uint32Array(0);
  #free: number[] = [];
  #used = 0;
  #count = 0;
  #bytes = 0;

  /** Number of entries. */
  get count(): number {
    return this.#count;
  }

  /** Sum of the lengths of all entries. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The slot holding `id`, or -1. */
  find(id: Uint8Array, at = 0): number {
    let slot = this.#heads.get(keyOf(id, at)) ?? NONE;
    while (slot !== NONE && !this.#sameId(slot, id, at)) slot = this.#next[slot] ?? NONE;
    return slot;
  }

  /** Adds an entry for an id not yet present (read from `id` at `at`); returns its slot. */
  add(id: Uint8Array, pack: number, offset: number, length: number, at = 0): number {
    const slot = this.#free.pop() ?? this.#grow();
    const key = keyOf(id, at);
    this.#ids.set(id.subarray(at, at + CHUNK_ID_BYTES), slot * CHUNK_ID_BYTES);
    this.#next[slot] = this.#heads.get(key) ?? NONE;
    this.#heads.set(key, slot);
    this.#pack[slot] = pack;
    this.#offset[slot] = offset;
    this.#length[slot] = length;
    this.#count++;
    this.#bytes += length;
    return slot;
  }

  /** Removes the entry in `slot`. */
  remove(slot: number): void {
    const key = keyOf(this.#ids, slot * CHUNK_ID_BYTES);
    const next = this.#next[slot] ?? NONE;
    let at = this.#heads.get(key) ?? NONE;
    if (at === slot) {
      if (next === NONE) this.#heads.delete(key);
      else this.#heads.set(key, next);
    } else {
      while (at !== NONE && this.#next[at] !== slot) at = this.#next[at] ?? NONE;
      if (at !== NONE) this.#next[at] = next;
    }
    this.#count--;
    this.#bytes -= this.#length[slot] ?? 0;
    this.#pack[slot] = NONE;
    this.#free.push(slot);
  }

  /** Moves the entry in `slot` to another place. */
  move(slot: number, pack: number, offset: number): void {
    this.#pack[slot] = pack;
    this.#offset[slot] = offset;
  }

  /** Pack number of `slot`, or -1 when the slot is free. */
  packOf(slot: number): number {
    return this.#pack[slot] ?? NONE;
  }

  /** Offset of the record in `slot`. */
  offsetOf(slot: number): number {
    return this.#offset[slot] ?? 0;
  }

  /** Blob length of `slot`. */
  lengthOf(slot: number): number {
    return this.#length[slot] ?? 0;
  }

  /** A copy of the id in `slot`. */
  idOf(slot: number): Uint8Array {
    return this.#ids.slice(slot * CHUNK_ID_BYTES, (slot + 1) * CHUNK_ID_BYTES);
  }

  /** Copies the id in `slot` into `target` at `at`. */
  copyId(slot: number, target: Uint8Array, at: number): void {
    target.set(this.#ids.subarray(slot * CHUNK_ID_BYTES, (slot + 1) * CHUNK_ID_BYTES), at);
  }

  /** Every used slot. */
  *slots(): IterableIterator<number> {
    for (let slot = 0; slot < this.#used; slot++) if (this.#pack[slot] !== NONE) yield slot;
  }

  #sameId(slot: number, id: Uint8Array, at: number): boolean {
    const base = slot * CHUNK_ID_BYTES;
    for (let i = 0; i < CHUNK_ID_BYTES; i++) if (this.#ids[base + i] !== id[at + i]) return false;
    return true;
  }

  #grow(): number {
    if (this.#used === this.#pack.length) {
      const capacity = Math.max(1024, this.#pack.length * 2);
      this.#ids = resized(this.#ids, new Uint8Array(capacity * CHUNK_ID_BYTES));
      this.#next = resized(this.#next, new Int32Array(capacity));
      this.#pack = resized(this.#pack, new Int32Array(capacity));
      this.#offset = resized(this.#offset, new Float64Array(capacity));
      this.#length = resized(this.#length, new Uint32Array(capacity));
    }
    return this.#used++;
  }
}

function resized<T extends Uint8Array | Int32Array | Uint32Array | Float64Array>(
  old: T,
  target: T,
): T {
  target.set(old as never);
  return target;
}

/** A 30-bit key (a small integer V8 stores unboxed) mixed from bytes `at`..`at+7` of `id`. */
function keyOf(id: Uint8Array, at: number): number {
  const w0 = (id[at]! << 24) | (id[at + 1]! << 16) | (id[at + 2]! << 8) | id[at + 3]!;
  const w1 = (id[at + 4]! << 24) | (id[at + 5]! << 16) | (id[at + 6]! << 8) | id[at + 7]!;
  let h = Math.imul(w0 ^ SEED[0]!, 0x9e3779b1) ^ Math.imul(w1 ^ SEED[1]!, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae3d);
  return (h ^ (h >>> 13)) >> 2;
}
