/**
 * A small pool of workers that run password hashing off the event loop, so one login's
 * Argon2id or scrypt never stalls other connections.
 *
 * @module
 */

import { BurrowError } from "../errors.ts";
import { type PoolWorker, WorkerPool } from "../worker_pool.ts";
import type { HashJobRequest, HashJobResponse } from "./_hash_job.ts";
import { assertHashParams, type HashParams } from "./hash_params.ts";

/** Options of a {@link HashPool}. */
export interface HashPoolOptions {
  /**
   * Number of workers, started on demand (default 1: at the server's ~1 ms per hash one worker
   * verifies 50 logins in ~50 ms; two measured only ~15% faster, and each costs ~20 MiB).
   */
  size?: number;
  /** Jobs that may wait for a worker before new ones are refused with code "BUSY" (default 1024). */
  maxQueue?: number;
  /** Worker module to run instead of `hash_worker.ts` (tests use a crashing one). */
  workerUrl?: string | URL;
}

/** Makes a request for the job with the given id, and says which buffers to transfer. */
type Build = (id: number) => { request: HashJobRequest; transfer: ArrayBuffer[] };

interface Job {
  build: Build;
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

interface Slot {
  worker: PoolWorker<HashJobRequest>;
  job: Job | undefined;
  jobId: number;
}

/**
 * Runs {@link hashSecret} and {@link verifySecret} in workers. Jobs beyond the idle workers wait
 * in a bounded FIFO queue. A worker that fails (crashes, or sends a reply that cannot be read)
 * rejects its job and is replaced on demand.
 * Close it when done: workers keep running until {@link HashPool.close}.
 */
export class HashPool {
  readonly #size: number;
  readonly #maxQueue: number;
  readonly #workers: WorkerPool<HashJobRequest, HashJobResponse>;
  readonly #slots = new Set<Slot>();
  readonly #idle: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  /** @throws {RangeError} when size or maxQueue is not a positive integer */
  constructor(options: HashPoolOptions = {}) {
    this.#size = options.size ?? 1;
    this.#maxQueue = options.maxQueue ?? 1024;
    if (!Number.isSafeInteger(this.#size) || this.#size < 1) {
      throw new RangeError(`Cannot create hash pool: size ${this.#size} is not a positive integer`);
    }
    if (!Number.isSafeInteger(this.#maxQueue) || this.#maxQueue < 0) {
      throw new RangeError(`Cannot create hash pool: maxQueue ${this.#maxQueue} is invalid`);
    }
    this.#workers = new WorkerPool({
      url: options.workerUrl ?? new URL("./hash_worker.ts", import.meta.url),
      name: "burrow-hash",
      action: "finish hash job",
    });
  }

  /**
   * Hashes a secret into a PHC string in a worker (see hashSecret). The secret is copied, so
   * the caller's buffer stays intact.
   *
   * @throws {RangeError} (rejects) when params or secret are out of bounds
   * @throws {BurrowError} (rejects) code "BUSY" when the queue is full or the pool is closed,
   *   code "INTERNAL" when the worker crashed
   */
  hash(secret: Uint8Array, params: HashParams): Promise<string> {
    try {
      assertHashParams(params);
    } catch (error) {
      return Promise.reject(error);
    }
    const copy = secret.slice();
    return this.#submit((id) => ({
      request: { id, op: "hash", secret: copy, params },
      transfer: [copy.buffer],
    })) as Promise<string>;
  }

  /**
   * Verifies a secret against a stored PHC string in a worker (see verifySecret).
   *
   * @throws {SyntaxError | RangeError} (rejects) when the PHC string is malformed or unsupported
   * @throws {BurrowError} (rejects) code "BUSY" when the queue is full or the pool is closed,
   *   code "INTERNAL" when the worker crashed
   */
  verify(secret: Uint8Array, phc: string): Promise<boolean> {
    const copy = secret.slice();
    return this.#submit((id) => ({
      request: { id, op: "verify", secret: copy, phc },
      transfer: [copy.buffer],
    })) as Promise<boolean>;
  }

  /** Terminates every worker and rejects running and queued jobs (code "BUSY"). Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    const error = closedError();
    for (const job of this.#queue.splice(0)) job.reject(error);
    this.#workers.close();
    for (const slot of this.#slots) {
      slot.job?.reject(error);
      slot.job = undefined;
    }
    this.#slots.clear();
    this.#idle.length = 0;
    return Promise.resolve();
  }

  #submit(build: Build): Promise<string | boolean> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#queue.length >= this.#maxQueue) {
      const message = `Cannot queue hash job: ${this.#queue.length} jobs are already waiting`;
      return Promise.reject(new BurrowError("BUSY", message));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ build, resolve, reject });
      this.#pump();
    });
  }

  /** Starts queued jobs on idle workers, spawning workers up to the pool size. */
  #pump(): void {
    while (this.#queue.length > 0) {
      const slot = this.#idle.pop() ?? (this.#slots.size < this.#size ? this.#spawn() : undefined);
      if (slot === undefined) return;
      const job = this.#queue.shift() as Job;
      const id = this.#nextId++;
      slot.job = job;
      slot.jobId = id;
      try {
        const { request, transfer } = job.build(id);
        slot.worker.post(request, transfer);
      } catch (error) {
        this.#finish(slot, error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  #spawn(): Slot {
    const slot: Slot = {
      worker: this.#workers.spawn({
        message: (reply) => this.#onMessage(slot, reply),
        failure: (error) => this.#onCrash(slot, error),
      }),
      job: undefined,
      jobId: 0,
    };
    this.#slots.add(slot);
    return slot;
  }

  #onMessage(slot: Slot, reply: HashJobResponse): void {
    if (slot.job === undefined || reply.id !== slot.jobId) return;
    this.#finish(slot, reply.ok ? undefined : rebuildError(reply), reply.ok ? reply.value : false);
  }

  /** Settles the slot's job, then gives the slot the next queued job or marks it idle. */
  #finish(slot: Slot, error: Error | undefined, value: string | boolean = false): void {
    const job = slot.job;
    slot.job = undefined;
    if (error === undefined) job?.resolve(value);
    else job?.reject(error);
    if (!this.#slots.has(slot)) return;
    this.#idle.push(slot);
    this.#pump();
  }

  /**
   * A failed worker (already terminated): reject its job, drop it, let #pump replace it. The
   * job's error says only that the worker failed (it may reach a client); the worker's own
   * message stays in its cause.
   */
  #onCrash(slot: Slot, cause: BurrowError): void {
    if (!this.#slots.delete(slot)) return;
    const index = this.#idle.indexOf(slot);
    if (index >= 0) this.#idle.splice(index, 1);
    const job = slot.job;
    slot.job = undefined;
    job?.reject(
      new BurrowError("INTERNAL", "Cannot finish hash job: the worker failed", { cause }),
    );
    if (!this.#closed) this.#pump();
  }
}

function closedError(): BurrowError {
  return new BurrowError("BUSY", "Cannot run hash job: the hash pool is closed");
}

/** Turns a worker's error answer back into the built-in error type it was thrown as. */
function rebuildError(reply: Extract<HashJobResponse, { ok: false }>): Error {
  switch (reply.errorName) {
    case "SyntaxError":
      return new SyntaxError(reply.message);
    case "RangeError":
      return new RangeError(reply.message);
    case "TypeError":
      return new TypeError(reply.message);
    default:
      return new BurrowError("INTERNAL", reply.message);
  }
}
