/**
 * How the files to read become worker jobs: small files travel in batches (about 4 MiB or 256
 * files), in walk order, since a message per file costs more than reading a small file; a file
 * over 8 MiB is a job of its own, streamed by the worker. Large files jump the queue, largest
 * first, so that the workers do not end with one of them alone on a large file.
 *
 * @module
 */

import { BATCH_BYTES, BATCH_FILES, LARGE_FILE_BYTES } from "./_archive_messages.ts";

/** A file to read: the caller's reference for it, its path on disk and its size when walked. */
export interface FileToRead {
  ref: number;
  source: string;
  size: number;
}

/** One worker job: paths to read in order, and the caller's reference for each. */
export interface ArchiveJob {
  paths: string[];
  refs: number[];
  /** Bytes the files held when walked. */
  bytes: number;
}

/** Jobs waiting for a worker, filled while the walk goes on (see the module comment). */
export class JobQueue {
  /** Large files, smallest first (taken from the end). */
  readonly #large: ArchiveJob[] = [];
  readonly #batches: ArchiveJob[] = [];
  #batchAt = 0;
  #batch: ArchiveJob = emptyJob();
  #ended = false;

  /** Whether {@link end} was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Whether a job can be taken now. */
  get ready(): boolean {
    return this.#large.length > 0 || this.#batchAt < this.#batches.length;
  }

  /** Adds a file to read. */
  add(file: FileToRead): void {
    if (file.size > LARGE_FILE_BYTES) {
      const job = { paths: [file.source], refs: [file.ref], bytes: file.size };
      let at = this.#large.length;
      while (at > 0 && this.#large[at - 1]!.bytes > job.bytes) at--;
      this.#large.splice(at, 0, job);
      return;
    }
    const batch = this.#batch;
    batch.paths.push(file.source);
    batch.refs.push(file.ref);
    batch.bytes += file.size;
    if (batch.bytes >= BATCH_BYTES || batch.paths.length >= BATCH_FILES) this.#close();
  }

  /** The partial batch becomes a job now, though more files may follow. */
  flush(): void {
    this.#close();
  }

  /** No more files: the last partial batch becomes a job. */
  end(): void {
    this.#close();
    this.#ended = true;
  }

  /** The next job: a large file if any, else a batch (a partial one only once ended). */
  take(): ArchiveJob | undefined {
    const large = this.#large.pop();
    if (large !== undefined) return large;
    if (this.#batchAt < this.#batches.length) {
      const job = this.#batches[this.#batchAt]!;
      this.#batches[this.#batchAt++] = emptyJob();
      if (this.#batchAt === this.#batches.length) {
        this.#batches.length = 0;
        this.#batchAt = 0;
      }
      return job;
    }
    return undefined;
  }

  #close(): void {
    if (this.#batch.paths.length === 0) return;
    this.#batches.push(this.#batch);
    this.#batch = emptyJob();
  }
}

function emptyJob(): ArchiveJob {
  return { paths: [], refs: [], bytes: 0 };
}
