/**
 * The restorer's file writers: workers that create, fill, stamp and rename files with sync
 * calls, so the kernel's file-creation work (most of a restore of many small files) runs on every
 * core while the main thread fetches and verifies. A restore starts with two and adds a third
 * when creating files is slow: when the files of a window of 512 took more than 0.25 ms each to
 * create and finish (open; chmod, utime, close, rename), as right after many deletions on some
 * file systems (docs/PERFORMANCE.md says when a third writer pays). Each file goes to
 * one worker, whole, in order; operations are batched (≤ 1 MiB of data or 256 operations per
 * message, flushed at the latest when the main thread next waits). File data travels through a
 * ring of shared memory per worker (`ringBytes`): the main thread copies each chunk in and waits
 * while the ring is full, so memory stays fixed whatever the file sizes, and no message carries
 * (or clones) bytes. Zeros are not copied: for a chunk of them, or a run of at least 64 KiB in
 * one, the worker leaves a hole, so a sparse file comes back sparse (as does a long run of zeros in
 * any file).
 *
 * @module
 */

import { releaseBytes } from "../release_bytes.ts";
import { dataAndHoles, MIN_HOLE_BYTES } from "./_all_zero.ts";
import { currentUmask } from "./_file_ops.ts";
import { type PoolWorker, WorkerPool } from "../worker_pool.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import type { BatchReply, ToRestoreWorker, WriteFailure, WriteOp } from "./_restore_messages.ts";

const MiB = 1024 * 1024;
const BATCH_BYTES = 1 * MiB;
const BATCH_OPS = 256;
/** Files per window over which the time to create and finish a file is averaged. */
const GROWTH_WINDOW = 512;

/** Options of a {@link RestorePool}. */
export interface RestorePoolOptions {
  /** Worker threads to start with (default 2). */
  workers?: number;
  /** Most worker threads, once creating files is slow (default 3, at least `workers`). */
  maxWorkers?: number;
  /**
   * Average milliseconds to create and finish a file, over a window of 512, above which one more
   * worker starts (default 0.25).
   */
  slowFileMs?: number;
  /** Size of each worker's ring of shared memory for file data (default 2 MiB, at least 64). */
  ringBytes?: number;
  /** Worker module to run instead of `restore_worker.ts` (tests use a crashing one). */
  workerUrl?: string;
}

interface Slot {
  worker: PoolWorker<ToRestoreWorker>;
  ring: Uint8Array<SharedArrayBuffer>;
  /** Where the next data goes in the ring. */
  head: number;
  /** Ring bytes written by the main thread and not yet consumed by the worker. */
  held: number;
  batch: WriteOp[];
  batchBytes: number;
  /** Batches posted and not answered. */
  posted: number;
}

/** Writes files on workers (see the module comment). Single use: `finish` or `close` ends it. */
export class RestorePool {
  /** Workers wanted now: grows from `workers` up to `#maxWorkers` while creating files is slow. */
  #workers: number;
  readonly #maxWorkers: number;
  readonly #slowFileMs: number;
  readonly #ringBytes: number;
  readonly #pool: WorkerPool<ToRestoreWorker, BatchReply>;
  /** Read before any worker exists: reading it sets it to 0 for a moment. */
  readonly #umask: number | null;
  readonly #slots: Slot[] = [];
  readonly #folderSlots = new Map<string, Slot>();
  #nextFile = 0;
  #failure: Error | null = null;
  #flushScheduled = false;
  #wakers: (() => void)[] = [];
  /** Files created, and milliseconds spent creating and finishing files, in the current window. */
  #windowFiles = 0;
  #windowMs = 0;

  /**
   * @throws {RangeError} when `workers` is below 1, `maxWorkers` below `workers`, `slowFileMs`
   *   negative or `ringBytes` below 64
   */
  constructor(options: RestorePoolOptions = {}) {
    this.#workers = checkedCount("workers", options.workers ?? 2, 1);
    this.#maxWorkers = checkedCount(
      "maxWorkers",
      options.maxWorkers ?? Math.max(3, this.#workers),
      this.#workers,
    );
    this.#slowFileMs = options.slowFileMs ?? 0.25;
    if (!(this.#slowFileMs >= 0)) {
      throw new RangeError(
        `Cannot start restore workers: slowFileMs "${this.#slowFileMs}" is invalid`,
      );
    }
    this.#ringBytes = checkedCount("ringBytes", options.ringBytes ?? 2 * MiB, 64);
    this.#pool = new WorkerPool({
      url: options.workerUrl ?? new URL("./restore_worker.ts", import.meta.url),
      name: "burrow-restore",
      action: "restore",
    });
    this.#umask = currentUmask();
  }

  /**
   * Hands `entry`'s chunks to a worker, which writes them to `temp` (zeros as holes, see the
   * module), gives it `owner` (when given) and then renames it to `path`. Resolves once every
   * chunk is handed over, not once it is written (see `finish`). Each chunk is freed once copied:
   * they must be the caller's own (see `ChunkSource`). When `chunks` throws, the worker removes
   * `temp` and the error is rethrown.
   *
   * @throws the first error a worker met, as soon as it is known
   */
  async writeFile(
    entry: TreeEntry,
    temp: string,
    path: string,
    chunks: AsyncIterable<Uint8Array>,
    owner?: { uid: number; gid: number },
  ): Promise<void> {
    this.#throwIfFailed();
    const slot = this.#slotFor(path.slice(0, path.lastIndexOf("/")));
    const file = this.#nextFile++;
    const { mode, mtimeNs } = entry;
    this.#add(slot, { op: "open", file, temp, path, mode, mtimeNs, ...(owner && { owner }) });
    try {
      const piece = this.#ringBytes >> 1; // a piece this size always fits an empty ring
      for await (const chunk of chunks) {
        for (const { data, hole } of dataAndHoles(chunk, MIN_HOLE_BYTES)) {
          if (data === undefined) {
            this.#add(slot, { op: "hole", file, length: hole });
            continue;
          }
          for (let at = 0; at < data.length; at += piece) {
            await this.#copyIn(slot, file, data.subarray(at, at + piece));
          }
        }
        releaseBytes(chunk); // ours (see ChunkSource); left to the collector, they piled up
      }
    } catch (error) {
      this.#add(slot, { op: "abort", file });
      throw error;
    }
    this.#add(slot, { op: "close", file });
  }

  /**
   * Waits until every operation handed over has run (files renamed into place, or removed when
   * aborted or failed), then stops the workers. Call it after an error too, so that no temp file
   * is left behind.
   *
   * @throws the first error a worker met writing a file
   */
  async finish(): Promise<void> {
    this.#flushAll();
    while (this.#slots.some((slot) => slot.posted > 0)) await this.#nextReply();
    this.close();
    this.#throwIfFailed();
  }

  /** Worker threads started so far. */
  get workerCount(): number {
    return this.#slots.length;
  }

  /** Stops the workers at once (files in progress stay as temp files). Idempotent. */
  close(): void {
    this.#pool.close();
    this.#slots.length = 0;
    this.#wake();
  }

  /** Copies `bytes` into the slot's ring once there is room, and queues the data op. */
  async #copyIn(slot: Slot, file: number, bytes: Uint8Array): Promise<void> {
    const size = slot.ring.length;
    for (;;) {
      this.#throwIfFailed();
      const wraps = slot.head + bytes.length > size;
      const skip = wraps ? size - slot.head : 0;
      if (slot.held + skip + bytes.length <= size) {
        const at = wraps ? 0 : slot.head;
        slot.ring.set(bytes, at);
        slot.head = at + bytes.length;
        slot.held += skip + bytes.length;
        this.#add(slot, { op: "data", file, at, length: bytes.length, skip });
        return;
      }
      await this.#nextReply();
    }
  }

  /**
   * The worker for a file in `folder`: the one that has that folder, else the least busy one.
   * A folder sticks to one worker because creates and renames in one folder take its lock:
   * two threads taking turns on it spent several times the kernel time of one.
   */
  #slotFor(folder: string): Slot {
    while (this.#slots.length < this.#workers) this.#slots.push(this.#start());
    const known = this.#folderSlots.get(folder);
    if (known !== undefined && this.#slots.includes(known)) return known;
    let best = this.#slots[0]!;
    for (const slot of this.#slots) if (slot.held < best.held) best = slot;
    this.#folderSlots.set(folder, best);
    return best;
  }

  #start(): Slot {
    const worker = this.#pool.spawn({
      message: (reply) => this.#onReply(slot, reply),
      failure: (error) => {
        slot.posted = 0; // no reply will come
        this.#fail(error);
      },
    });
    const ring = new Uint8Array(new SharedArrayBuffer(this.#ringBytes));
    worker.post({ type: "init", ring: ring.buffer, umask: this.#umask });
    const slot: Slot = { worker, ring, head: 0, held: 0, batch: [], batchBytes: 0, posted: 0 };
    return slot;
  }

  #add(slot: Slot, op: WriteOp): void {
    slot.batch.push(op);
    if (op.op === "data") slot.batchBytes += op.length;
    if (slot.batchBytes >= BATCH_BYTES || slot.batch.length >= BATCH_OPS) this.#flush(slot);
    else if (!this.#flushScheduled) {
      // Whatever is batched goes out as soon as this thread waits for anything.
      this.#flushScheduled = true;
      setTimeout(() => this.#flushAll(), 0);
    }
  }

  #flushAll(): void {
    this.#flushScheduled = false;
    for (const slot of this.#slots) this.#flush(slot);
  }

  #flush(slot: Slot): void {
    if (slot.batch.length === 0) return;
    slot.worker.post({ type: "batch", ops: slot.batch });
    slot.batch = [];
    slot.batchBytes = 0;
    slot.posted++;
  }

  #onReply(slot: Slot, reply: BatchReply): void {
    slot.posted--;
    slot.held -= reply.bytes;
    this.#windowFiles += reply.files;
    this.#windowMs += reply.fileMs;
    if (this.#windowFiles >= GROWTH_WINDOW) {
      const slow = this.#windowMs / this.#windowFiles > this.#slowFileMs;
      if (slow && this.#workers < this.#maxWorkers) this.#workers++; // `#slotFor` starts it
      this.#windowFiles = 0;
      this.#windowMs = 0;
    }
    const failure = reply.failures[0];
    if (failure !== undefined) this.#fail(errorFrom(failure));
    this.#wake();
  }

  /** Resolves at the next worker reply (flushing first, so there is one to come). */
  #nextReply(): Promise<void> {
    this.#flushAll();
    if (this.#slots.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#wakers.push(resolve));
  }

  #wake(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const wake of wakers) wake();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#wake();
  }

  #throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure;
  }
}

function checkedCount(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`Cannot start restore workers: ${name} "${value}" is invalid`);
  }
  return value;
}

/** The worker's error as the same `Deno.errors` class where it was one, else a plain Error. */
function errorFrom(failure: WriteFailure): Error {
  const errors = Deno.errors as unknown as Record<string, new (message: string) => Error>;
  const ErrorClass = Object.hasOwn(errors, failure.name) ? errors[failure.name]! : Error;
  return new ErrorClass(failure.message);
}
