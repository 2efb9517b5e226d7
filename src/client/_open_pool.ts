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

interface Slot {
  worker: Worker;
  /** Jobs sent and not answered, by job number. */
  pending: Map<number, { resolve(results: OpenedChunk[]): void; reject(error: Error): void }>;
}

/** Open workers under one repository's keys. `close` ends them. */
export class OpenPool {
  readonly #slots: Slot[] = [];
  #nextJob = 0;
  #failure: Error | null = null;

  /**
   * @param workers how many threads (at least 1)
   * @throws {RangeError} when `workers` is not a positive integer
   */
  constructor(keys: RepositoryKeys, workers: number, workerUrl?: string) {
    if (!Number.isSafeInteger(workers) || workers < 1) {
      throw new RangeError(`Cannot start open workers: workers "${workers}" is invalid`);
    }
    const url = workerUrl ?? new URL("./open_worker.ts", import.meta.url).href;
    for (let i = 0; i < workers; i++) this.#slots.push(this.#start(url, keys));
  }

  /**
   * Opens and verifies each blob under its id, on a worker. `transfer` lists buffers that move
   * to the worker with the blobs (the caller must not use them afterwards).
   *
   * @throws when a worker crashed or the pool is closed
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
      slot.worker.postMessage({ type: "open", job, blobs } satisfies ToOpenWorker, transfer);
    });
  }

  /** Stops the workers; jobs not answered yet fail. Idempotent. */
  close(): void {
    this.#fail(new Error("Cannot open blobs: the open workers were stopped"));
    for (const slot of this.#slots) slot.worker.terminate();
    this.#slots.length = 0;
  }

  #start(url: string, keys: RepositoryKeys): Slot {
    const worker = new Worker(url, { type: "module", name: "burrow-open" });
    const slot: Slot = { worker, pending: new Map() };
    worker.postMessage({ type: "init", idKey: keys.idKey, dataKey: keys.dataKey });
    worker.onmessage = (event: MessageEvent<OpenReply>) => {
      const { job, results } = event.data;
      slot.pending.get(job)?.resolve(results);
      slot.pending.delete(job);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#fail(new Error(`Cannot open blobs: an open worker crashed: ${event.message}`));
    };
    return slot;
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const slot of this.#slots) {
      for (const { reject } of slot.pending.values()) reject(this.#failure);
      slot.pending.clear();
    }
  }
}
