/**
 * An in-memory chunk store for tests. Not persistent: `flush` has nothing to do.
 *
 * @module
 */
import { NotFoundError, StoreError } from "../errors.ts";
import {
  checkBlob,
  checkPageRequest,
  type ChunkStore,
  type IdPage,
  type PruneOptions,
  type PruneReport,
} from "./chunk_store.ts";
import type { IdSet } from "../format/id_set.ts";
import { checkChunkId, CHUNK_ID_BYTES, toHex } from "../format/chunk_id.ts";

/** A `ChunkStore` held in a Map; for tests only. Copies blobs in and out. */
export class MemoryChunkStore implements ChunkStore {
  #blobs = new Map<string, Uint8Array>();
  #bytes = 0;
  readonly #setAside = new Set<string>();
  #closed = false;

  /** Number of blobs stored. */
  get size(): number {
    return this.#blobs.size;
  }

  /** Sum of the stored blobs' lengths. */
  get storedBytes(): number {
    return this.#bytes;
  }

  /** Ids set aside by `markDamaged` and not stored again. */
  get damaged(): number {
    let count = 0;
    for (const key of this.#setAside) if (!this.#blobs.has(key)) count++;
    return count;
  }

  /** Whether `id` is stored. */
  has(id: Uint8Array): boolean {
    checkChunkId(id);
    this.#checkOpen("look up chunk");
    return this.#blobs.has(toHex(id));
  }

  /** Stores a copy of `blob` unless `id` is present. */
  put(id: Uint8Array, blob: Uint8Array): Promise<boolean> {
    return this.#run("store chunks", () => {
      checkBlob(blob);
      const key = toHex(id);
      if (this.#blobs.has(key)) return false;
      this.#blobs.set(key, blob.slice());
      this.#bytes += blob.length;
      return true;
    }, id);
  }

  /** Nothing to make durable. */
  flush(): Promise<void> {
    return this.#run("flush chunks", () => {});
  }

  /** A copy of the blob of `id`. @throws {NotFoundError} when absent. */
  get(id: Uint8Array): Promise<Uint8Array> {
    return this.#run("get chunk", () => this.#stored(id).slice(), id);
  }

  #stored(id: Uint8Array): Uint8Array {
    const blob = this.#blobs.get(toHex(id));
    if (blob === undefined) {
      throw new NotFoundError(`Cannot get chunk "${toHex(id)}": it is not stored`);
    }
    return blob;
  }

  /** The length of the blob of `id`, or undefined. */
  lengthOf(id: Uint8Array): number | undefined {
    checkChunkId(id);
    this.#checkOpen("look up chunk");
    return this.#blobs.get(toHex(id))?.length;
  }

  /** Copies the blob of `id` into `target`. @throws {NotFoundError} @throws {RangeError} */
  readInto(id: Uint8Array, target: Uint8Array): Promise<void> {
    return this.#run("get chunk", () => {
      const blob = this.#stored(id);
      if (target.length !== blob.length) {
        throw new RangeError(
          `Cannot read chunk "${
            toHex(id)
          }": it has ${blob.length} bytes, the target ${target.length}`,
        );
      }
      target.set(blob);
    }, id);
  }

  /** Copies the stored ids above `after` into `target`, ascending (sorted on each call). */
  listInto(after: Uint8Array | undefined, target: Uint8Array): IdPage {
    checkPageRequest(after, target);
    this.#checkOpen("list chunks");
    const from = after === undefined ? "" : toHex(after);
    const above = [...this.#blobs.keys()].filter((key) => key > from).sort();
    const page = above.slice(0, Math.floor(target.length / CHUNK_ID_BYTES));
    page.forEach((key, i) => target.set(Uint8Array.fromHex(key), i * CHUNK_ID_BYTES));
    return { count: page.length, more: above.length > page.length };
  }

  /** Removes the blobs of `ids`; unknown ids are ignored. */
  delete(ids: Uint8Array[]): Promise<void> {
    return this.#run("delete chunks", () => {
      ids.forEach(checkChunkId);
      for (const id of ids) {
        const key = toHex(id);
        this.#bytes -= this.#blobs.get(key)?.length ?? 0;
        this.#blobs.delete(key);
      }
    });
  }

  /**
   * Removes every blob not in `live`. Each blob counts as a pack of its own, so a dead blob is
   * always removed, whatever `maxUnusedPercent` says.
   */
  prune(live: IdSet, options: PruneOptions): Promise<PruneReport> {
    return this.#run("prune chunks", () => {
      const packsBefore = this.#blobs.size;
      const bytesBefore = this.#bytes;
      const dead = [...this.#blobs].filter(([key]) => !live.has(Uint8Array.fromHex(key)));
      const freed = dead.reduce((sum, [, blob]) => sum + blob.length, 0);
      if (!options.dryRun) {
        for (const [key] of dead) this.#blobs.delete(key);
        this.#bytes -= freed;
      }
      return {
        packsBefore,
        bytesBefore,
        packsAfter: packsBefore - dead.length,
        bytesAfter: bytesBefore - freed,
        packsDeleted: dead.length,
        packsRewritten: 0,
        blobsRemoved: dead.length,
        unusedBytesKept: 0,
      };
    });
  }

  /** Forgets the blobs of `ids` (memory keeps nothing aside) and counts them as damaged. */
  markDamaged(ids: Uint8Array[]): Promise<number> {
    return this.#run("set chunks aside", () => {
      ids.forEach(checkChunkId);
      let count = 0;
      for (const id of ids) {
        const key = toHex(id);
        const blob = this.#blobs.get(key);
        if (blob === undefined) continue;
        this.#bytes -= blob.length;
        this.#blobs.delete(key);
        this.#setAside.add(key);
        count++;
      }
      return count;
    });
  }

  /** Marks the store closed; idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #checkOpen(action: string): void {
    if (this.#closed) throw new StoreError(`Cannot ${action}: the store is closed`);
  }

  #run<T>(action: string, body: () => T, id?: Uint8Array): Promise<T> {
    try {
      if (id !== undefined) checkChunkId(id);
      this.#checkOpen(action);
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
