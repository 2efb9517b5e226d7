/**
 * The archiver's main-thread side of the workers: starts them on demand (none for a tree with
 * nothing to read), shares the known ids with them (one set in shared memory, no copy per
 * worker), hands out jobs so each always has a few queued, takes their replies, drops blobs
 * another worker already sealed or the server has, and feeds the rest to the
 * {@link UploadQueue}. Memory is bounded by credit: each worker may hold
 * `maxInFlightBytes / workers` of sealed, not yet uploaded data; uploaded or dropped bytes are
 * credited back to the worker that sealed them.
 *
 * The workers start before the known ids are in (listing them from a large repository takes a
 * while): until then they seal every chunk, and the sealed blobs are held, not uploaded, so no
 * blob the server has is ever sent. Once the ids are in, the held blobs they name are dropped
 * and the rest are queued; holding stays within the workers' credit.
 *
 * @module
 */

import { CHUNK_ID_BYTES } from "../format/blob_crypto.ts";
import { IdHashSet } from "../format/id_hash_set.ts";
import type { IdSet } from "../format/id_set.ts";
import type { RepositoryKeys } from "../format/master_key.ts";
import type { FileOutcome, JobReply, ToWorkerMessage } from "./_archive_messages.ts";
import { FLUSH_BYTES } from "./_archive_messages.ts";
import type { ArchiveJob, JobQueue } from "./_job_queue.ts";
import { releaseBytes } from "../release_bytes.ts";
import { type PoolWorker, WorkerPool } from "../worker_pool.ts";
import { type SealedBlob, UploadQueue } from "./_upload_queue.ts";

/** Jobs given to a worker at once: one running, two queued behind it. */
const JOBS_PER_WORKER = 3;

/** Options of an {@link ArchivePool}. */
export interface ArchivePoolOptions {
  keys: RepositoryKeys;
  /** Ids the server has: none of these is uploaded, nor sealed once they are in. */
  knownIds: IdSet | Promise<IdSet>;
  upload(blobs: SealedBlob[]): Promise<void>;
  workers: number;
  maxInFlightBytes: number;
  /** Worker module to run instead of `archive_worker.ts` (tests use a crashing one). */
  workerUrl?: string;
}

/** Where the pool reports what the workers found, file by file. */
export interface ArchiveSink {
  /**
   * More chunk ids of file `ref`, in order, the bytes of it they cover, and how many of those
   * were holes (zeros not read from disk).
   */
  chunks(ref: number, ids: Uint8Array[], bytes: number, holeBytes: number): void;
  /**
   * File `ref` is finished; `error` when it could not be read, `changed` when it changed while
   * it was read.
   */
  fileEnd(ref: number, error: string | undefined, changed: boolean): void;
  /** A reply was handled (a moment to report progress). */
  replied(): void;
}

interface Slot {
  index: number;
  worker: PoolWorker<ToWorkerMessage>;
  jobs: number;
  /** Whether its last reply said it waits for credit. */
  waiting: boolean;
}

/** Runs jobs on workers and uploads what they seal (see the module comment). Single use. */
export class ArchivePool {
  readonly #options: ArchivePoolOptions;
  readonly #workers: WorkerPool<ToWorkerMessage, JobReply>;
  readonly #slots: Slot[] = [];
  /** Ids of the blobs taken in this run (queued, held, or dropped as the server has them). */
  readonly #queued = new IdHashSet();
  readonly #jobs = new Map<number, ArchiveJob>();
  readonly #uploads: UploadQueue;
  readonly #done: Promise<void>;
  #settle: { resolve(): void; reject(error: unknown): void } | undefined;
  #queue: JobQueue | undefined;
  #sink: ArchiveSink | undefined;
  #nextJobId = 0;
  #bytesSealed = 0;
  /** The ids the server has, once they are in. */
  #known: IdSet | undefined;
  /** Blobs sealed before the known ids were in, with the worker that sealed each. */
  #held: { blob: SealedBlob; worker: number }[] = [];

  /** @throws {RangeError} when `workers` or `maxInFlightBytes` is not a positive integer */
  constructor(options: ArchivePoolOptions) {
    for (const name of ["workers", "maxInFlightBytes"] as const) {
      const value = options[name];
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`Cannot start archive workers: ${name} "${value}" is invalid`);
      }
    }
    this.#options = options;
    this.#workers = new WorkerPool({
      url: options.workerUrl ?? new URL("./archive_worker.ts", import.meta.url),
      name: "burrow-archive",
      action: "archive",
    });
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#done = promise;
    this.#settle = { resolve, reject };
    this.#uploads = new UploadQueue({
      upload: (blobs) => this.#options.upload(blobs),
      credit: (worker, bytes) => this.#credit(worker, bytes),
      urgent: () => this.#slots.some((slot) => slot.waiting),
      drained: () => this.#finish(undefined),
      failed: (error) => this.#finish(error ?? new Error("Cannot upload blobs: upload failed")),
    });
    if (options.knownIds instanceof Promise) {
      options.knownIds.then((known) => this.#learn(known), (error) => this.#finish(error));
    } else this.#known = options.knownIds;
  }

  /** Sealed bytes of new blobs the workers produced (after dropping duplicates). */
  get bytesSealed(): number {
    return this.#bytesSealed;
  }

  /** Sealed bytes uploaded. */
  get bytesSent(): number {
    return this.#uploads.bytesSent;
  }

  /** Whether the run is over: before the queue has ended, that means it failed. */
  get settled(): boolean {
    return this.#settle === undefined;
  }

  /**
   * Starts taking jobs from `queue` (call {@link pump} as more arrive). The promise resolves
   * once the queue has ended, every job is done and every new blob is uploaded.
   *
   * @throws {BurrowError} (rejects) code "INTERNAL" when a worker crashed
   * @throws whatever `upload` rejected with
   */
  run(queue: JobQueue, sink: ArchiveSink): Promise<void> {
    this.#queue = queue;
    this.#sink = sink;
    this.pump();
    return this.#done;
  }

  /** Hands out queued jobs; once the queue has ended and all is done, uploads the rest. */
  pump(): void {
    const queue = this.#queue;
    if (queue === undefined || this.#settle === undefined) return;
    try {
      while (queue.ready) {
        const slot = this.#pickSlot();
        if (slot === undefined) break;
        this.#dispatch(slot, queue.take()!);
      }
    } catch (error) {
      this.#finish(error);
      return;
    }
    if (queue.ended && !queue.ready && this.#jobs.size === 0 && this.#known !== undefined) {
      this.#uploads.drain();
    }
  }

  /** Terminates every worker. Idempotent. */
  close(): void {
    this.#workers.close();
    this.#slots.length = 0;
    this.#uploads.stop();
  }

  /** The least busy worker with room for a job, starting one while some are not busy. */
  #pickSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) if (best === undefined || slot.jobs < best.jobs) best = slot;
    if ((best === undefined || best.jobs > 0) && this.#slots.length < this.#options.workers) {
      return this.#spawn();
    }
    return best !== undefined && best.jobs < JOBS_PER_WORKER ? best : undefined;
  }

  #spawn(): Slot {
    const index = this.#slots.length;
    const worker = this.#workers.spawn({
      message: (reply) => {
        try {
          this.#onReply(slot, reply);
        } catch (error) {
          this.#finish(error); // a throwing callback (onProgress, onWarning) ends the run
        }
      },
      failure: (error) => this.#finish(error),
    });
    const slot: Slot = { index, worker, jobs: 0, waiting: false };
    this.#slots.push(slot);
    this.#init(slot);
    return slot;
  }

  /** Sends a new worker its keys, its credit and the known ids (shared, not copied). */
  #init(slot: Slot): void {
    const { workers, maxInFlightBytes, keys } = this.#options;
    const creditBytes = Math.max(1, Math.floor(maxInFlightBytes / workers));
    const flushBytes = Math.max(1, Math.min(FLUSH_BYTES, Math.floor(creditBytes / 2)));
    const { idKey, dataKey, gear } = keys;
    const init = { type: "init", idKey, dataKey, gear, creditBytes, flushBytes } as const;
    const known = this.#known;
    this.#post(slot, known === undefined ? init : { ...init, knownIds: known.shared }, []);
  }

  /** The known ids are in: workers get them, and the held blobs are dropped or queued. */
  #learn(known: IdSet): void {
    if (this.#settle === undefined) return;
    this.#known = known;
    for (const slot of this.#slots) this.#post(slot, { type: "known", knownIds: known.shared }, []);
    const held = this.#held;
    this.#held = [];
    const dropped = new Map<number, number>();
    for (const { blob, worker } of held) {
      const bytes = blob.blob.length;
      if (!this.#keep(blob, worker)) dropped.set(worker, (dropped.get(worker) ?? 0) + bytes);
    }
    for (const [worker, bytes] of dropped) this.#credit(worker, bytes);
    this.#uploads.pump();
    this.pump();
  }

  /**
   * Queues `blob` for upload unless the server has it (then its memory is released), or holds it
   * while the known ids are not in. @returns false when it was dropped
   */
  #keep(blob: SealedBlob, worker: number): boolean {
    if (this.#known === undefined) {
      this.#held.push({ blob, worker });
      return true;
    }
    if (this.#known.has(blob.id)) {
      releaseBytes(blob.blob);
      return false;
    }
    this.#bytesSealed += blob.blob.length;
    this.#uploads.add(blob, worker);
    return true;
  }

  #dispatch(slot: Slot, job: ArchiveJob): void {
    const jobId = this.#nextJobId++;
    this.#jobs.set(jobId, job);
    slot.jobs++;
    this.#post(slot, { type: "job", jobId, paths: job.paths }, []);
  }

  #post(slot: Slot, message: ToWorkerMessage, transfer: ArrayBuffer[]): void {
    slot.worker.post(message, transfer);
  }

  #onReply(slot: Slot, reply: JobReply): void {
    const job = this.#jobs.get(reply.jobId);
    if (job === undefined || this.#settle === undefined) return;
    this.#takeFiles(job, reply.files, reply.chunkIds);
    this.#takeBlobs(slot.index, reply);
    slot.waiting = reply.waiting;
    this.#uploads.pump();
    if (reply.done) {
      this.#jobs.delete(reply.jobId);
      slot.jobs--;
      this.pump();
    }
    this.#sink?.replied();
  }

  #takeFiles(job: ArchiveJob, files: FileOutcome[], chunkIds: Uint8Array): void {
    const sink = this.#sink!;
    let at = 0;
    for (const file of files) {
      const ref = job.refs[file.at]!;
      const ids: Uint8Array[] = new Array(file.chunks);
      for (let i = 0; i < file.chunks; i++, at += CHUNK_ID_BYTES) {
        ids[i] = chunkIds.subarray(at, at + CHUNK_ID_BYTES);
      }
      sink.chunks(ref, ids, file.bytes, file.holeBytes ?? 0);
      if (file.end) sink.fileEnd(ref, file.error, file.changed === true);
    }
  }

  /** Keeps the blobs no other worker sealed (see {@link #keep}); credits the others back. */
  #takeBlobs(index: number, reply: JobReply): void {
    let dropped = 0;
    for (let i = 0; i < reply.blobs.length; i++) {
      const blob = reply.blobs[i]!;
      const bytes = blob.length;
      const id = reply.blobIds.subarray(i * CHUNK_ID_BYTES, (i + 1) * CHUNK_ID_BYTES);
      if (!this.#queued.add(id)) {
        dropped += bytes;
        releaseBytes(blob);
      } else if (!this.#keep({ id, blob, plainSize: reply.plainSizes[i]! }, index)) {
        dropped += bytes;
      }
    }
    if (dropped > 0) this.#credit(index, dropped);
  }

  #credit(index: number, bytes: number): void {
    const slot = this.#slots[index];
    if (slot !== undefined) this.#post(slot, { type: "credit", bytes }, []);
  }

  /** Settles the run once: resolves, or rejects and stops the workers. */
  #finish(error: unknown): void {
    const settle = this.#settle;
    if (settle === undefined) return;
    this.#settle = undefined;
    if (error === undefined) {
      settle.resolve();
      return;
    }
    this.close();
    settle.reject(error);
  }
}
