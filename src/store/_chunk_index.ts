/**
 * The in-memory index of a pack store: chunk id → (pack number, offset, length), kept compact.
 * Entries live in numbered "slots" of typed arrays (the id's 32 bytes, pack, offset, length),
 * allocated in fixed blocks of `BLOCK_SLOTS`, so growing never copies what is there; an
 * {@link IdOrder} keeps the ids sorted with their slots, which answers lookups by binary search
 * and lists ids in order without sorting. No operation rehashes, re-sorts or copies the whole
 * index, so none stalls the event loop with its size, and ids a client chooses cannot slow it.
 *
 * @module
 */
import { CHUNK_ID_BYTES } from "../format/chunk_id.ts";
import { IdOrder, LEAF_SIZE } from "./_id_order.ts";
import { sortIds } from "./_id_sort.ts";

const NONE = -1;
const BLOCK_BITS = 12;
/** Slots per block of storage. */
const BLOCK_SLOTS = 1 << BLOCK_BITS;

/** The storage of `BLOCK_SLOTS` slots. */
interface Block {
  ids: Uint8Array;
  /** Pack number of each slot, or NONE when the slot is free. */
  pack: Int32Array;
  offset: Float64Array;
  length: Uint32Array;
}

/** A compact map from chunk id to its place in a pack. */
export class ChunkIndex {
  readonly #order = new IdOrder();
  readonly #blocks: Block[] = [];
  readonly #free: number[] = [];
  #used = 0;
  /** Entries appended and not ordered yet: the last slots taken. */
  #appended = 0;
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

  /** The slot holding `id` (read from `id` at `at`), or -1. */
  find(id: Uint8Array, at = 0): number {
    return this.#order.find(id, at);
  }

  /**
   * Adds an entry for the id read from `id` at `at`, unless it is present.
   * @returns its slot, or -1 when the id was present (nothing changed)
   */
  add(id: Uint8Array, pack: number, offset: number, length: number, at = 0): number {
    const slot = this.#free.at(-1) ?? this.#used;
    if (!this.#order.insert(id, at, slot)) return NONE;
    if (this.#free.pop() === undefined) this.#grow();
    this.#fill(slot, id, at, pack, offset, length);
    return slot;
  }

  /**
   * Adds an entry without looking it up or ordering it, for loading many entries at once: until
   * {@link orderAppended}, `find` and listing do not see it, and an id may be appended twice.
   */
  append(id: Uint8Array, pack: number, offset: number, length: number, at = 0): void {
    const slot = this.#grow();
    this.#appended++;
    this.#fill(slot, id, at, pack, offset, length);
  }

  /**
   * Orders every appended entry (sorting them, much faster than adding them one by one), keeping
   * the first appended of equal ids and dropping the others. Awaits `pause` throughout, so that
   * a caller can let the event loop turn.
   * @throws {RangeError} unless every entry was appended since the index was made (or ordered)
   */
  async orderAppended(pause: () => Promise<void>): Promise<void> {
    if (this.#used !== this.#appended) {
      throw new RangeError("Cannot order appended entries: the index has entries added otherwise");
    }
    const source = { blocks: this.#blocks.map((block) => block.ids), blockBits: BLOCK_BITS };
    const sorted = await sortIds(source, this.#appended, LEAF_SIZE, pause);
    this.#appended = 0;
    for (const slot of sorted.duplicates) this.#release(slot);
    this.#order.adopt(sorted, sorted.count);
  }

  /** Empties the index and frees its memory at once (see `IdOrder.release`). */
  release(): void {
    this.#order.release();
    for (const block of this.#blocks) (block.ids.buffer as ArrayBuffer).transfer(0);
    this.#blocks.length = 0;
    this.#free.length = 0;
    this.#used = 0;
    this.#appended = 0;
    this.#count = 0;
    this.#bytes = 0;
  }

  /** Removes the entry in `slot`. */
  remove(slot: number): void {
    const block = this.#block(slot);
    this.#order.remove(block.ids, (slot & (BLOCK_SLOTS - 1)) * CHUNK_ID_BYTES);
    this.#release(slot);
  }

  /** Moves the entry in `slot` to another place. */
  move(slot: number, pack: number, offset: number): void {
    const block = this.#block(slot);
    block.pack[slot & (BLOCK_SLOTS - 1)] = pack;
    block.offset[slot & (BLOCK_SLOTS - 1)] = offset;
  }

  /** Pack number of `slot`, or -1 when the slot is free. */
  packOf(slot: number): number {
    return this.#blocks[slot >>> BLOCK_BITS]?.pack[slot & (BLOCK_SLOTS - 1)] ?? NONE;
  }

  /** Offset of the record in `slot`. */
  offsetOf(slot: number): number {
    return this.#block(slot).offset[slot & (BLOCK_SLOTS - 1)]!;
  }

  /** Blob length of `slot`. */
  lengthOf(slot: number): number {
    return this.#block(slot).length[slot & (BLOCK_SLOTS - 1)]!;
  }

  /** A copy of the id in `slot`. */
  idOf(slot: number): Uint8Array {
    const base = (slot & (BLOCK_SLOTS - 1)) * CHUNK_ID_BYTES;
    return this.#block(slot).ids.slice(base, base + CHUNK_ID_BYTES);
  }

  /**
   * Copies into `target` the ids above `after` (from the lowest when undefined), ascending, as
   * many as `target` holds whole. @returns how many, and whether more follow
   */
  copyIdsAfter(
    after: Uint8Array | undefined,
    target: Uint8Array,
  ): { count: number; more: boolean } {
    return this.#order.copyAfter(after, target);
  }

  /** Every used slot. */
  *slots(): IterableIterator<number> {
    for (let slot = 0; slot < this.#used; slot++) if (this.packOf(slot) !== NONE) yield slot;
  }

  #block(slot: number): Block {
    return this.#blocks[slot >>> BLOCK_BITS]!;
  }

  /** Writes a new entry into `slot`. */
  #fill(slot: number, id: Uint8Array, at: number, pack: number, offset: number, length: number) {
    const block = this.#block(slot);
    const i = slot & (BLOCK_SLOTS - 1);
    const base = i * CHUNK_ID_BYTES;
    for (let k = 0; k < CHUNK_ID_BYTES; k++) block.ids[base + k] = id[at + k]!;
    block.pack[i] = pack;
    block.offset[i] = offset;
    block.length[i] = length;
    this.#count++;
    this.#bytes += length;
  }

  /** Frees `slot`, which is not (or no longer) in the order. */
  #release(slot: number): void {
    const block = this.#block(slot);
    const i = slot & (BLOCK_SLOTS - 1);
    this.#count--;
    this.#bytes -= block.length[i]!;
    block.pack[i] = NONE;
    this.#free.push(slot);
  }

  /** Takes the next never-used slot, adding a block when the last is full. */
  #grow(): number {
    if (this.#used === this.#blocks.length * BLOCK_SLOTS) {
      // One buffer for the block's four arrays: one allocation, not four.
      const buffer = new ArrayBuffer(BLOCK_SLOTS * (CHUNK_ID_BYTES + 8 + 4 + 4));
      const at = BLOCK_SLOTS * CHUNK_ID_BYTES;
      this.#blocks.push({
        ids: new Uint8Array(buffer, 0, at),
        offset: new Float64Array(buffer, at, BLOCK_SLOTS),
        pack: new Int32Array(buffer, at + BLOCK_SLOTS * 8, BLOCK_SLOTS).fill(NONE),
        length: new Uint32Array(buffer, at + BLOCK_SLOTS * 12, BLOCK_SLOTS),
      });
    }
    return this.#used++;
  }
}
