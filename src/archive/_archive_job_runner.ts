/**
 * The work of one archive worker: read files with sync calls through one reused window, cut them
 * into chunks (FastCDC), name each chunk by its keyed hash, and compress and seal the chunks no
 * one has seen. A file that may be sparse has its holes put into the window as zeros without
 * reading them (`_sparse_reader.ts`), and the chunks that lie in a hole are cut and named
 * without scanning or hashing (`_zero_chunks.ts`): the ids are those reading would give. Runs
 * inside a worker (`archive_worker.ts`), but is a plain class so tests can drive it in-process.
 *
 * Invariants: a chunk id is sealed at most once per worker (known ids, read from the set shared
 * by every worker once it is in, and ids this worker sealed, in its own set, are skipped); every
 * sealed blob is sent exactly once, transferred; the worker never
 * has more than `creditBytes` (plus one blob) of sealed data sent and not acknowledged, so memory
 * stays bounded however slow the uploads are. It waits for credit only after sending everything
 * it holds, so the main thread always has something to upload.
 *
 * @module
 */

import { BlobSealer, CHUNK_ID_BYTES, ChunkIdHasher } from "../format/blob_crypto.ts";
import { findCut, MAX_CHUNK_SIZE } from "../format/chunker.ts";
import { IdHashSet } from "../format/id_hash_set.ts";
import { IdSet, type SharedIds } from "../format/id_set.ts";
import { compressChunk, releaseCompressed } from "../format/compression.ts";
import type { FileOutcome, InitMessage, JobMessage, JobReply } from "./_archive_messages.ts";
import { WINDOW_BYTES } from "./_archive_messages.ts";
import { FileHoles, mayHaveHoles } from "./_file_holes.ts";
import { SparseReader } from "./_sparse_reader.ts";
import { ZeroChunks } from "./_zero_chunks.ts";

/** Sends a reply to the main thread, transferring the listed buffers. */
export type PostReply = (reply: JobReply, transfer: ArrayBuffer[]) => void;

/** Reads, chunks, hashes and seals the files of jobs, one job at a time (see the module). */
export class ArchiveJobRunner {
  readonly #window = new Uint8Array(WINDOW_BYTES);
  readonly #hasher: ChunkIdHasher;
  readonly #sealer: BlobSealer;
  readonly #gear: Int32Array;
  readonly #zeros: ZeroChunks;
  #known: IdSet | undefined;
  readonly #sealed = new IdHashSet();
  readonly #creditBytes: number;
  readonly #flushBytes: number;
  readonly #post: PostReply;
  #unacked = 0;
  #wake: (() => void) | undefined;
  #files: FileOutcome[] = [];
  #chunkIds: Uint8Array[] = [];
  #blobIds: Uint8Array[] = [];
  #blobs: Uint8Array[] = [];
  #plainSizes: number[] = [];
  #pendingBytes = 0;

  /** Prepares the keys and the set of known ids, if it is in. */
  constructor(init: InitMessage, post: PostReply) {
    this.#hasher = new ChunkIdHasher(init.idKey);
    this.#sealer = new BlobSealer(init.dataKey);
    this.#gear = init.gear;
    this.#zeros = new ZeroChunks(init.gear, this.#hasher);
    if (init.knownIds !== undefined) this.know(init.knownIds);
    this.#creditBytes = init.creditBytes;
    this.#flushBytes = init.flushBytes;
    this.#post = post;
  }

  /** Takes the ids the server has: chunks named there are no longer sealed. */
  know(shared: SharedIds): void {
    this.#known = IdSet.fromShared(shared);
  }

  /** Records sealed bytes the main thread is done with, and resumes a waiting job. */
  credit(bytes: number): void {
    this.#unacked -= bytes;
    if (this.#wake !== undefined && this.#unacked < this.#creditBytes) {
      const wake = this.#wake;
      this.#wake = undefined;
      wake();
    }
  }

  /** Runs one job to its end; its last reply has `done` set. */
  async run(job: JobMessage): Promise<void> {
    for (let at = 0; at < job.paths.length; at++) {
      await this.#file(job.jobId, at, job.paths[at]!);
    }
    this.#flush(job.jobId, true, false);
  }

  async #file(jobId: number, at: number, path: string): Promise<void> {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path);
    } catch (error) {
      this.#fail(at, error);
      return;
    }
    const info = statOf(file);
    const holes = info !== null && mayHaveHoles(info) ? FileHoles.open(path, info) : null;
    const sparse = holes === null ? null : new SparseReader(file, holes);
    try {
      await this.#stream(jobId, at, file, info, sparse);
    } finally {
      sparse?.close();
      file.close();
    }
  }

  /** Streams a file through the window, carrying the unchunked tail to the front on refills. */
  async #stream(
    jobId: number,
    at: number,
    file: Deno.FsFile,
    info: Deno.FileInfo | null,
    sparse: SparseReader | null,
  ): Promise<void> {
    const before = regularFileState(info);
    const window = this.#window;
    let base = 0; // the file offset of window[0]
    let start = 0;
    let end = 0;
    let eof = false;
    for (;;) {
      if (!eof && end - start < MAX_CHUNK_SIZE) {
        window.copyWithin(0, start, end);
        end -= start;
        base += start;
        start = 0;
        try {
          const filled = sparse === null
            ? this.#fill(file, at, end)
            : this.#fillSparse(sparse, at, end, base + end);
          end = filled.end;
          eof = filled.eof;
        } catch (error) {
          this.#fail(at, error);
          return;
        }
      }
      if (start === end) break;
      const zeros = sparse === null ? 0 : sparse.zerosAt(base + start);
      const length = zeros > 0 && zeros >= this.#zeros.cut
        ? this.#zeros.cut
        : findCut(window, start, end, eof, this.#gear);
      const chunk = window.subarray(start, start + length);
      await this.#chunk(jobId, at, chunk, length <= zeros ? this.#zeros.id(chunk) : undefined);
      start += length;
    }
    const outcome = this.#outcome(at);
    const after = regularFileState(statOf(file));
    if (before !== null && after !== null && before !== after) outcome.changed = true;
    outcome.end = true;
  }

  /** Reads until the window is full or the file ends. */
  #fill(file: Deno.FsFile, at: number, from: number): { end: number; eof: boolean } {
    const window = this.#window;
    let end = from;
    while (end < window.length) {
      const read = file.readSync(window.subarray(end));
      if (read === null) {
        this.#outcome(at).bytes += end - from;
        return { end, eof: true };
      }
      end += read;
    }
    this.#outcome(at).bytes += end - from;
    return { end, eof: false };
  }

  /** Fills the window as `#fill` does, the file's holes as zeros (counted, not read). */
  #fillSparse(
    sparse: SparseReader,
    at: number,
    from: number,
    offset: number,
  ): { end: number; eof: boolean } {
    const filled = sparse.fill(this.#window, from, offset);
    const outcome = this.#outcome(at);
    outcome.bytes += filled.end - from;
    if (filled.holeBytes > 0) outcome.holeBytes = (outcome.holeBytes ?? 0) + filled.holeBytes;
    return filled;
  }

  /** Names a chunk (unless its id is known) and, when it is new, compresses and seals it. */
  async #chunk(
    jobId: number,
    at: number,
    chunk: Uint8Array,
    known: Uint8Array | undefined,
  ): Promise<void> {
    const id = known ?? this.#hasher.id(chunk);
    this.#chunkIds.push(id);
    this.#outcome(at).chunks++;
    if (this.#known?.has(id) === true || !this.#sealed.add(id)) return;
    if (this.#unacked + this.#pendingBytes >= this.#creditBytes) await this.#waitForCredit(jobId);
    const compressed = compressChunk(chunk);
    const blob = this.#sealer.seal(id, compressed.data, compressed.compressed);
    releaseCompressed(compressed); // the blob holds a copy
    this.#blobIds.push(id);
    this.#blobs.push(blob);
    this.#plainSizes.push(chunk.length);
    this.#pendingBytes += blob.length;
    if (this.#pendingBytes >= this.#flushBytes) this.#flush(jobId, false, false);
  }

  /** Sends everything held, then waits until enough of it is acknowledged. */
  async #waitForCredit(jobId: number): Promise<void> {
    this.#flush(jobId, false, true);
    while (this.#unacked >= this.#creditBytes) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  /** The outcome record of file `at` in the reply being built (a new one after a flush). */
  #outcome(at: number): FileOutcome {
    const last = this.#files[this.#files.length - 1];
    if (last !== undefined && last.at === at && !last.end) return last;
    const outcome: FileOutcome = { at, chunks: 0, bytes: 0, end: false };
    this.#files.push(outcome);
    return outcome;
  }

  #fail(at: number, error: unknown): void {
    const outcome = this.#outcome(at);
    outcome.end = true;
    outcome.error = readFailure(error);
  }

  /** Sends the reply built so far, transferring its buffers, and starts a new one. */
  #flush(jobId: number, done: boolean, waiting: boolean): void {
    const chunkIds = concatIds(this.#chunkIds);
    const blobIds = concatIds(this.#blobIds);
    const blobs = this.#blobs;
    const reply: JobReply = {
      type: "reply",
      jobId,
      done,
      waiting,
      files: this.#files,
      chunkIds,
      blobIds,
      blobs,
      plainSizes: this.#plainSizes,
    };
    const transfer = [chunkIds.buffer, blobIds.buffer];
    for (const blob of blobs) transfer.push(blob.buffer as ArrayBuffer);
    this.#unacked += this.#pendingBytes;
    this.#files = [];
    this.#chunkIds = [];
    this.#blobIds = [];
    this.#blobs = [];
    this.#plainSizes = [];
    this.#pendingBytes = 0;
    this.#post(reply, transfer);
  }
}

/** 32-byte ids side by side in one fresh buffer (to transfer). */
function concatIds(ids: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(ids.length * CHUNK_ID_BYTES);
  for (let i = 0; i < ids.length; i++) out.set(ids[i]!, i * CHUNK_ID_BYTES);
  return out;
}

/**
 * A regular file's size and mtime as one string, to tell whether it changed while it was read;
 * null for anything else (a pipe such as standard input changes as it is written) or when it
 * cannot be known.
 */
function regularFileState(info: Deno.FileInfo | null): string | null {
  return info?.isFile === true ? `${info.size} ${info.mtime?.getTime()}` : null;
}

/** The status of an open file, or null when it cannot be known. */
function statOf(file: Deno.FsFile): Deno.FileInfo | null {
  try {
    return file.statSync();
  } catch {
    return null;
  }
}

/** A one-line reason for a file that could not be read, without its absolute path. */
function readFailure(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "Cannot read file: it no longer exists";
  if (error instanceof Deno.errors.PermissionDenied) {
    return "Cannot read file: permission denied";
  }
  if (error instanceof Deno.errors.IsADirectory) return "Cannot read file: it became a folder";
  const message = error instanceof Error ? error.message : String(error);
  return `Cannot read file: ${message}`;
}
