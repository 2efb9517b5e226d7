/**
 * Workers that open, decompress and verify fetched blobs (`open_worker.ts`), so that on a pull
 * the main thread only reads replies and hands plaintext to the file writers: opening is about a
 * third of a restore's CPU time, and on the main thread it was the restore's critical path.
 * Each `chunks` reply goes to the least busy worker whole; its frame buffer moves to the worker
 * (transferred, not copied) and the plaintexts move back.
 *
 * @module
 */
import type { RepositoryKeys } from "../format/master_key.ts";
import type { OpenedChunk } from "./_chunk_opener.ts";
import type { OpenReply, ToOpenWorker } from "./_open_messages.ts";
import { type PoolWorker, WorkerPool } from "../worker_pool.ts";

interface Slot {
  worker: PoolWorker<ToOpenWorker>;
  /** Jobs sent and not answered, by job number. */
  pending: Map<number, { resolve(results: OpenedChunk[]): void; reject(error: Error): void }>;
}

/** Open workers under one repository's keys. `close` ends them. */
export class OpenPool {
  readonly #workers: WorkerPool<ToOpenWorker, OpenReply>;
  readonly #slots: Slot[] = [];
  #nextJob = 0;
  #failure: Error | null = null;

  /**
   * @param workers how many threads (at least 1)
   * @param workerUrl where the worker's script is, if not `open_worker.ts` beside this
   * @throws {RangeError} when `workers` is not a positive integer
   */
  constructor(
    keys: Pick<RepositoryKeys, "idKey" | "dataKey">,
    workers: number,
    workerUrl?: string | URL,
  ) {
    if (!Number.isSafeInteger(workers) || workers < 1) {
      throw new RangeError(`Cannot start open workers: workers "${workers}" is invalid`);
    }
    this.#workers = new WorkerPool({
      url: workerUrl ?? new URL("./open_worker.ts", import.meta.url),
      name: "burrow-open",
      action: "open blobs",
    });
    for (let i = 0; i < workers; i++) this.#slots.push(this.#start(keys));
  }

  /**
   * Opens and verifies each blob under its id, on a worker. `transfer` lists buffers that move
   * to the worker with the blobs (the caller must not use them afterwards).
   *
   * @throws {BurrowError} code "INTERNAL" once a worker crashed or sent a reply that cannot be
   *   read (every later call too)
   * @throws {Error} when the pool is closed
   */
  open(
    blobs: { id: Uint8Array; blob: Uint8Array }[],
    transfer: ArrayBuffer[] = [],
  ): Promise<OpenedChunk[]> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    let slot = this.#slots[0]!;
    for (const other of this.#slots) if (other.pending.size < slot.pending.size) slot = other;
    const job = this.#nextJob++;
    return new Promise((resolve, reject) => {
      slot.pending.set(job, { resolve, reject });
      slot.worker.post({ type: "open", job, blobs }, transfer);
    });
  }

  /** Stops the workers; jobs not answered yet fail. Idempotent. */
  close(): void {
    this.#fail(new Error("Cannot open blobs: the open workers were stopped"));
    this.#workers.close();
    this.#slots.length = 0;
  }

  #start(keys: Pick<RepositoryKeys, "idKey" | "dataKey">): Slot {
    const pending: Slot["pending"] = new Map();
    const worker = this.#workers.spawn({
      message: ({ job, results }) => {
        pending.get(job)?.resolve(results);
        pending.delete(job);
      },
      failure: (error) => this.#fail(error),
    });
    worker.post({ type: "init", idKey: keys.idKey, dataKey: keys.dataKey });
    return { worker, pending };
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const slot of this.#slots) {
      for (const { reject } of slot.pending.values()) reject(this.#failure);
      slot.pending.clear();
    }
  }
}
