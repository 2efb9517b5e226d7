/**
 * What the chunker makes of a run of zeros, worked out once per worker: where it cuts a chunk
 * that starts a long run (the same length every time: the gear hash of zeros soon repeats), and
 * the id of an all-zero chunk of each length. A sparse file's holes become such chunks without
 * being scanned or hashed again, with exactly the ids that reading the zeros would give.
 *
 * @module
 */
import type { ChunkIdHasher } from "../format/blob_crypto.ts";
import { DEFAULT_CHUNKER_PARAMS, findCut } from "../format/chunker.ts";

/** Lengths whose ids are kept (a sparse file adds one or two: whole runs and its tail). */
const MAX_LENGTHS = 64;

/** Cut and ids of all-zero chunks under one gear table and one id key (see the module). */
export class ZeroChunks {
  readonly #gear: Int32Array;
  readonly #hasher: ChunkIdHasher;
  readonly #ids = new Map<number, Uint8Array>();
  #cut = 0;

  constructor(gear: Int32Array, hasher: ChunkIdHasher) {
    this.#gear = gear;
    this.#hasher = hasher;
  }

  /**
   * The length of a chunk that starts at least this many zeros: `findCut` gives exactly this
   * for any window in which the next `cut` bytes are zeros (its answer depends only on them).
   */
  get cut(): number {
    if (this.#cut === 0) {
      const maxSize = DEFAULT_CHUNKER_PARAMS.maxSize;
      this.#cut = findCut(new Uint8Array(maxSize), 0, maxSize, false, this.#gear);
    }
    return this.#cut;
  }

  /** The id of `zeros` (all zero bytes: the caller knows), hashed once per length. */
  id(zeros: Uint8Array): Uint8Array {
    let id = this.#ids.get(zeros.length);
    if (id === undefined) {
      if (this.#ids.size >= MAX_LENGTHS) this.#ids.clear();
      id = this.#hasher.id(zeros);
      this.#ids.set(zeros.length, id);
    }
    return id;
  }
}
