/**
 * The archiver's upload side: sealed blobs wait here and go to the caller's `upload` in batches
 * of 8–16 MiB, one batch at a time (each awaited: that is the backpressure). Once a batch is
 * uploaded, the bytes are credited back to the workers that sealed them and the blobs' memory
 * is released at once (their buffers are detached), not left to a garbage collector that runs
 * rarely on this thread (docs/PERFORMANCE.md).
 *
 * @module
 */

import { releaseBytes } from "../release_bytes.ts";

const MiB = 1024 * 1024;
/** A batch is sent once this much is waiting (or sooner when urgent or draining). */
const MIN_BATCH_BYTES = 8 * MiB;
/** A batch holds at most this much (and at least one blob). */
const MAX_BATCH_BYTES = 16 * MiB;

/** A new chunk, sealed: what `upload` receives. */
export interface SealedBlob {
  /** The chunk id (32 bytes). */
  id: Uint8Array;
  /** The sealed blob (see `blob_crypto.ts`). */
  blob: Uint8Array;
  /** Bytes of the chunk's plaintext. */
  plainSize: number;
}

/** Callbacks of an {@link UploadQueue}. */
export interface UploadQueueHooks {
  /** Uploads one batch; the next batch waits for it. */
  upload(blobs: SealedBlob[]): Promise<void>;
  /** Sealed bytes of worker `worker` that are uploaded. */
  credit(worker: number, bytes: number): void;
  /** Whether to send small batches too: a worker waits for credit. */
  urgent(): boolean;
  /** Called once draining and everything is uploaded. */
  drained(): void;
  /** Called once when an upload fails; nothing more is uploaded. */
  failed(error: unknown): void;
}

/** Batches blobs to `upload`, one batch in flight at a time (see the module comment). */
export class UploadQueue {
  readonly #hooks: UploadQueueHooks;
  #pending: SealedBlob[] = [];
  #workers: number[] = [];
  #pendingBytes = 0;
  #busy = false;
  #draining = false;
  #stopped = false;
  #bytesSent = 0;

  /** Makes an empty queue. */
  constructor(hooks: UploadQueueHooks) {
    this.#hooks = hooks;
  }

  /** Bytes of blobs uploaded so far. */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** Queues a blob sealed by worker `worker` (call {@link pump} after a group of adds). */
  add(blob: SealedBlob, worker: number): void {
    this.#pending.push(blob);
    this.#workers.push(worker);
    this.#pendingBytes += blob.blob.length;
  }

  /** No more blobs will come: upload the rest, then call `drained`. */
  drain(): void {
    this.#draining = true;
    this.pump();
  }

  /** Stops uploading (after a failure elsewhere). */
  stop(): void {
    this.#stopped = true;
  }

  /** Starts the next upload when one is due and none is running. */
  pump(): void {
    if (this.#busy || this.#stopped) return;
    if (this.#pending.length === 0) {
      if (this.#draining) {
        this.#stopped = true;
        this.#hooks.drained();
      }
      return;
    }
    const due = this.#pendingBytes >= MIN_BATCH_BYTES || this.#draining || this.#hooks.urgent();
    if (!due) return;
    let count = 0;
    let bytes = 0;
    while (count < this.#pending.length) {
      const size = this.#pending[count]!.blob.length;
      if (count > 0 && bytes + size > MAX_BATCH_BYTES) break;
      bytes += size;
      count++;
    }
    const batch = this.#pending.splice(0, count);
    const workers = this.#workers.splice(0, count);
    this.#pendingBytes -= bytes;
    this.#busy = true;
    Promise.resolve().then(() => this.#hooks.upload(batch)).then(
      () => this.#uploaded(batch, workers),
      (error) => {
        this.#stopped = true;
        this.#hooks.failed(error);
      },
    );
  }

  #uploaded(batch: SealedBlob[], workers: number[]): void {
    this.#busy = false;
    if (this.#stopped) return;
    const perWorker = new Map<number, number>();
    for (let i = 0; i < batch.length; i++) {
      const size = batch[i]!.blob.length;
      this.#bytesSent += size;
      releaseBytes(batch[i]!.blob);
      perWorker.set(workers[i]!, (perWorker.get(workers[i]!) ?? 0) + size);
    }
    for (const [worker, bytes] of perWorker) this.#hooks.credit(worker, bytes);
    this.pump();
  }
}
