/**
 * The in-memory index of a pack store: chunk id → (pack number, offset, length), kept compact.
 * Entries live in "slots" of parallel typed arrays (the id's 32 bytes, pack, offset, length); an
 * {@link IdOrder} keeps the slots sorted by id, which answers lookups by binary search and lists
 * ids in order without sorting. No operation rehashes or re-sorts everything at once, so none
 * stalls the event loop with the index's size, and ids a client chooses cannot slow it down.
 *
 * @module
 */
import { CHUNK_ID_BYTES } from "../format/chunk_id.ts";
import { IdOrder } from "./_id_order.ts";

const NONE = -1;

/** A compact map from chunk id to its place in a pack. */
export class ChunkIndex {
  readonly #order = new IdOrder();
  #ids = new Uint8Array(0);
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
    return this.#order.find(this.#ids, id, at);
  }

  /** Adds an entry for an id not yet present (read from `id` at `at`); returns its slot. */
  add(id: Uint8Array, pack: number, offset: number, length: number, at = 0): number {
    const slot = this.#free.pop() ?? this.#grow();
    this.#ids.set(id.subarray(at, at + CHUNK_ID_BYTES), slot * CHUNK_ID_BYTES);
    this.#order.insert(this.#ids, slot);
    this.#pack[slot] = pack;
    this.#offset[slot] = offset;
    this.#length[slot] = length;
    this.#count++;
    this.#bytes += length;
    return slot;
  }

  /** Removes the entry in `slot`. */
  remove(slot: number): void {
    this.#order.remove(this.#ids, slot);
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

  /**
   * Copies into `target` the ids above `after` (from the lowest when undefined), ascending, as
   * many as `target` holds whole. @returns how many, and whether more follow
   */
  copyIdsAfter(
    after: Uint8Array | undefined,
    target: Uint8Array,
  ): { count: number; more: boolean } {
    return this.#order.copyAfter(this.#ids, after, target);
  }

  /** Every used slot. */
  *slots(): IterableIterator<number> {
    for (let slot = 0; slot < this.#used; slot++) if (this.#pack[slot] !== NONE) yield slot;
  }

  #grow(): number {
    if (this.#used === this.#pack.length) {
      const capacity = Math.max(1024, this.#pack.length * 2);
      this.#ids = resized(this.#ids, new Uint8Array(capacity * CHUNK_ID_BYTES));
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
