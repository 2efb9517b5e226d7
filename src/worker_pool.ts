/**
 * The lifecycle of worker threads, written once for every pool (password hashing, archiving,
 * opening fetched blobs, writing restored files): starting a worker, turning its crash (`error`)
 * or a reply that cannot be deserialized (`messageerror`) into one failure, terminating it, and
 * terminating every worker on close. What to run where (queues, credit, rings) stays with each
 * pool, on top; messages go straight to `Worker.postMessage`, with nothing added per message.
 *
 * Invariants: a worker fails at most once, and is terminated and gone from the pool before its
 * failure handler runs (after a `messageerror` the runtime delivers none of its later replies,
 * so it is of no further use); nothing is reported after `close`; no worker starts after `close`.
 *
 * @module
 */

import { BurrowError, errorMessage } from "./errors.ts";

/** Options of a {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** The worker module. */
  url: string | URL;
  /** The threads' name (in stack traces and debuggers), e.g. "burrow-hash". */
  name: string;
  /** What the pool does, for error messages: "Cannot ACTION: a worker crashed: …". */
  action: string;
}

/** What a pool does with one worker's replies and with its failure. */
export interface WorkerHandlers<Reply> {
  /** Each reply, in order. */
  message(reply: Reply): void;
  /** The worker crashed or sent a reply that cannot be read; it is already terminated. */
  failure(error: BurrowError): void;
}

/** One running worker of a {@link WorkerPool}: where its pool posts messages. */
export class PoolWorker<Message> {
  readonly #worker: Worker;

  /** @internal Made by {@link WorkerPool.spawn} only. */
  constructor(worker: Worker) {
    this.#worker = worker;
  }

  /** Posts `message`, moving the `transfer` buffers to the worker (a dead worker drops it). */
  post(message: Message, transfer?: Transferable[]): void {
    if (transfer === undefined) this.#worker.postMessage(message);
    else this.#worker.postMessage(message, transfer);
  }
}

/**
 * Starts workers of one module and owns them until they fail or the pool closes (see the module
 * comment). `Message` is what the pool posts, `Reply` what the workers answer.
 */
export class WorkerPool<Message, Reply> {
  readonly #url: string;
  readonly #name: string;
  readonly #action: string;
  readonly #workers = new Set<Worker>();
  #closed = false;

  constructor(options: WorkerPoolOptions) {
    this.#url = String(options.url);
    this.#name = options.name;
    this.#action = options.action;
  }

  /** Workers started and neither failed nor terminated. */
  get size(): number {
    return this.#workers.size;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Starts one worker whose replies and failure go to `handlers`.
   *
   * @throws {BurrowError} code "INTERNAL" when the pool is closed
   */
  spawn(handlers: WorkerHandlers<Reply>): PoolWorker<Message> {
    if (this.#closed) {
      throw new BurrowError("INTERNAL", `Cannot ${this.#action}: the workers were stopped`);
    }
    const worker = new Worker(this.#url, { type: "module", name: this.#name });
    this.#workers.add(worker);
    const fail = (problem: string) => {
      if (!this.#workers.delete(worker)) return; // failed already, or closed
      worker.terminate();
      handlers.failure(new BurrowError("INTERNAL", `Cannot ${this.#action}: ${problem}`));
    };
    worker.onmessage = (event: MessageEvent<Reply>) => handlers.message(event.data);
    worker.onerror = (event: ErrorEvent) => {
      // Without preventDefault the worker's error would be rethrown on this thread.
      event.preventDefault();
      fail(`a worker crashed: ${event.message}`);
    };
    worker.onmessageerror = (event: MessageEvent) => {
      fail(`a worker's reply could not be read: ${errorMessage(event.data)}`);
    };
    return new PoolWorker(worker);
  }

  /** Terminates every worker; none reports anything afterwards. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const worker of this.#workers) worker.terminate();
    this.#workers.clear();
  }
}
