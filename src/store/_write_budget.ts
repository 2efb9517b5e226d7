/**
 * Bounded memory for blobs queued for the disk: puts wait, first come first served, while the
 * bytes handed to the disk but not yet written exceed the limit; staging buffers are reused.
 * A writer's staging buffer (one, up to `STAGE_BYTES` or one large blob) is not counted: it
 * cannot wait on the disk, so waiting puts can never stall it.
 *
 * @module
 */

import { releaseBytes } from "../release_bytes.ts";

/** Size of a staging buffer: records are copied into one and written with one call. */
export const STAGE_BYTES: number = 1024 * 1024;

/** Counts queued bytes against a limit and keeps a few staging buffers for reuse. */
export class WriteBudget {
  readonly #limit: number;
  #used = 0;
  #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  #waking = false;
  #failure: unknown = undefined;
  #spare: Uint8Array[] = [];

  /** @param limit bytes that may be queued before puts wait. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Bytes queued now. */
  get used(): number {
    return this.#used;
  }

  /**
   * Undefined when the caller may queue bytes now; else a promise that resolves in its turn.
   * Every caller that got a promise must call `done` once it resolved, to pass the turn on.
   */
  wait(): Promise<void> | undefined {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#used < this.#limit && this.#waiters.length === 0 && !this.#waking) return undefined;
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#wake();
    });
  }

  /** Ends the caller's turn and lets the next waiter go if there is room. */
  done(): void {
    this.#waking = false;
    this.#wake();
  }

  /** Counts `bytes` as handed to the disk (a staging buffer submitted for writing). */
  add(bytes: number): void {
    this.#used += bytes;
  }

  /** Counts `bytes` as written. */
  release(bytes: number): void {
    this.#used -= bytes;
    this.#wake();
  }

  /** Rejects every waiter, now and later, with `error`. */
  fail(error: unknown): void {
    this.#failure = error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  /** A staging buffer of `STAGE_BYTES`. */
  buffer(): Uint8Array {
    return this.#spare.pop() ?? new Uint8Array(STAGE_BYTES);
  }

  /** Takes back a staging buffer nothing refers to any more: kept for reuse, or freed now. */
  recycle(buffer: Uint8Array): void {
    if (buffer.length === STAGE_BYTES && this.#spare.length < 4) this.#spare.push(buffer);
    else releaseBytes(buffer);
  }

  #wake(): void {
    if (this.#waking || this.#used >= this.#limit) return;
    const next = this.#waiters.shift();
    if (next === undefined) return;
    this.#waking = true;
    next.resolve();
  }
}
