/**
 * What one connection sent since its last commit (or since it began asking), for the one log
 * line the server writes per committed snapshot. The server cannot read a snapshot's set or
 * file count (they are sealed); it reports what it can see.
 *
 * @module
 */

/** The figures of one commit's upload. */
export interface UploadFigures {
  /** Blobs and their bytes received in `put_chunks`. */
  blobsReceived: number;
  bytesReceived: number;
  /** Of those, the ones that were new to the store. */
  blobsStored: number;
  bytesStored: number;
  /** From the first request after the previous commit to this one. */
  seconds: number;
}

/** Counts one connection's uploads between commits. */
export class UploadTally {
  readonly #now: () => number;
  #started: number | undefined;
  #figures = { blobsReceived: 0, bytesReceived: 0, blobsStored: 0, bytesStored: 0 };
  #refusals = 0;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Notes a request: the first one after a commit starts the clock. */
  touch(): void {
    this.#started ??= this.#now();
  }

  /** Adds one `put_chunks`: `received` blobs of `receivedBytes`, of which `stored` were new. */
  add(received: number, receivedBytes: number, stored: number, storedBytes: number): void {
    this.touch();
    this.#figures.blobsReceived += received;
    this.#figures.bytesReceived += receivedBytes;
    this.#figures.blobsStored += stored;
    this.#figures.bytesStored += storedBytes;
  }

  /** Whether chunks were stored or refused since the last commit: a push is under way. */
  get pending(): boolean {
    return this.#figures.blobsReceived > 0 || this.#refusals > 0;
  }

  /** Notes a refused `put_chunks`. @returns true for the first one since the last commit */
  refused(): boolean {
    this.#refusals++;
    return this.#refusals === 1;
  }

  /** The figures since the last `take`, and a fresh start for the next commit. */
  take(): UploadFigures {
    const now = this.#now();
    const seconds = Math.round((now - (this.#started ?? now)) / 10) / 100;
    const figures = { ...this.#figures, seconds };
    this.#started = undefined;
    this.#refusals = 0;
    this.#figures = { blobsReceived: 0, bytesReceived: 0, blobsStored: 0, bytesStored: 0 };
    return figures;
  }
}
