/**
 * The archiver: walk a file or folder, cut its files into content-defined chunks, name each
 * chunk by HMAC(idKey, plaintext), and compress, seal and upload the chunks the server lacks.
 * Returns the tree's entries (the snapshot manifest, to be stored by the caller) and a summary.
 *
 * Invariants:
 * - Entries come in walk order: depth-first, names in UTF-8 byte order, a folder before its
 *   contents; the root folder itself is not an entry. Symlinks are recorded, never followed;
 *   special files are recorded, never opened. A hard link is never read: it gets its target's
 *   size and chunks once the target is archived, and is left out with a warning when the target
 *   could not be read.
 * - A chunk named in `knownIds`, or already uploaded by this run, is never uploaded (again).
 * - A file whose size, mtime and inode match its entry in the parent snapshot is not read: its
 *   chunks are reused, when every one of them is among `knownIds` (a chunk the server lost makes
 *   the file be read and sent again; while the known ids load, such files are reused on trust and
 *   checked once they are in, before the run ends). A file that cannot be read is left out with a
 *   warning; the run goes on.
 * - Sealed bytes not yet uploaded stay under about `maxInFlightBytes` (plus one blob per
 *   worker), however slow `upload` is; workers are terminated when the run ends, either way.
 *
 * Layout: the main thread only walks (sync calls) and hands out jobs; two workers read their own
 * files with sync calls through a reused 8 MiB window, chunk, hash, compress (zstd-1, skipped
 * when a probe says it does not pay) and seal. Small files travel in batches, a large file is
 * one streamed job; all buffers are transferred, never copied. Backpressure is credit per
 * worker: uploaded (or duplicate) bytes are credited back, and a worker out of credit hands over
 * what it holds and waits; credits are handled even mid-job, so a reply that frees a worker
 * never queues behind that worker's own work. The walk runs in slices between replies, so the
 * workers start at once, also before the known ids are in (their blobs wait for them, see
 * `_archive_pool.ts`); large files jump the job queue. Once uploaded, a blob's buffer is detached
 * at once. The figures that chose this layout are in docs/PERFORMANCE.md.
 *
 * @module
 */

import type { IdSet } from "../format/id_set.ts";
import type { RepositoryKeys } from "../format/master_key.ts";
import type { SnapshotSummary, TreeEntry } from "../format/snapshot_model.ts";
import { type FileStatus, fileStatus, summarize } from "./_archive_summary.ts";
import { ArchivePool, type ArchiveSink } from "./_archive_pool.ts";
import { JobQueue } from "./_job_queue.ts";
import { type WalkedEntry, walkStream, walkTree, type WalkWarning } from "./_tree_walk.ts";
import type { Selection } from "./selection.ts";
import type { SealedBlob } from "./_upload_queue.ts";

export type { SealedBlob } from "./_upload_queue.ts";

const MiB = 1024 * 1024;
/** Sealed bytes that may wait for upload unless the caller says otherwise. */
const DEFAULT_IN_FLIGHT_BYTES = 64 * MiB;
/** Entries walked ahead while the parent's entries load (bounds the memory that takes). */
const PREFETCH_ENTRIES = 100_000;
/** Entries walked between two looks at the event loop (worker replies wait meanwhile). */
const WALK_SLICE = 512;

/** Progress of a run, reported after each worker reply and once the walk is over. */
export interface ArchiveProgress {
  /** Files done: unchanged ones (at once) and the ones read to their end (or failed). */
  files: number;
  /** Bytes of files read so far (the holes of sparse files count, though not read from disk). */
  bytesRead: number;
  /** Bytes of new sealed blobs so far (after dropping duplicates). */
  bytesSealed: number;
  /** Files in the tree (once the walk is over: the walk runs alongside the reading). */
  totalFiles?: number;
  /** Bytes of the files that must be read (new and changed ones, sizes as walked; idem). */
  totalBytes?: number;
  /** The path of the file done last (read to its end, or found unchanged). */
  current?: string;
}

/** What to archive and where to send it. */
export interface ArchiveOptions {
  /** The file or folder to back up (a symlink given here is followed). */
  source: string;
  keys: RepositoryKeys;
  /**
   * Chunk ids the server already has: these are never uploaded, nor sealed once they are in. The
   * workers read the set in place (shared memory). A promise lets the workers read, chunk and
   * seal while it loads; nothing is uploaded before it is in.
   */
  knownIds: IdSet | Promise<IdSet>;
  /**
   * The parent snapshot's entries by path, or null. A promise lets the walk (sync calls) run
   * while it loads from the network: up to `PREFETCH_ENTRIES` entries are walked ahead.
   */
  previous: ReadonlyMap<string, TreeEntry> | null | Promise<ReadonlyMap<string, TreeEntry> | null>;
  /**
   * Uploads a batch (8–16 MiB) of new blobs; the next batch waits for it (backpressure). Settle
   * only once done with the blobs: their memory is then released at once (the buffers are
   * detached), so copy whatever must outlive the call.
   */
  upload(blobs: SealedBlob[]): Promise<void>;
  /** Called after each worker reply, once the walk is over and at the end. */
  onProgress?(progress: ArchiveProgress): void;
  /** Called for each entry left out: its path relative to the root, and why. */
  onWarning?(path: string, reason: string): void;
  /** Worker threads (default 2: more did not help on the measured machine). */
  workers?: number;
  /** Sealed bytes that may wait for upload (default 64 MiB). */
  maxInFlightBytes?: number;
  /** What the walk takes (default: everything); it counts what it leaves out. */
  selection?: Selection;
  /**
   * Back up a stream instead of walking `source`: `source` is read to its end (standard input:
   * `/dev/stdin`) and stored as one file named `name`, modified at `time`.
   */
  stream?: { name: string; time: Date };
}

/** Options once the parent's entries are in. */
type ResolvedOptions = ArchiveOptions & { previous: ReadonlyMap<string, TreeEntry> | null };

/** The archived tree. */
export interface ArchiveResult {
  rootType: "file" | "dir";
  /** Entries in walk order (see the module invariants). */
  entries: TreeEntry[];
  /** Counts and sizes; `bytesStored` is left 0 for the caller to fill in. */
  summary: SnapshotSummary;
}

/**
 * Archives `options.source` (see the module comment).
 *
 * @throws {NotFoundError} (rejects) when the source does not exist
 * @throws {RangeError} (rejects) when `workers` or `maxInFlightBytes` is invalid
 * @throws {BurrowError} (rejects) code "INTERNAL" when a worker crashed
 * @throws whatever `upload` rejected with
 */
export async function archive(options: ArchiveOptions): Promise<ArchiveResult> {
  const early: [string, string][] = [];
  let warn: WalkWarning = (path, reason) => early.push([path, reason]);
  const walk = options.stream === undefined
    ? walkTree(options.source, (path, reason) => warn(path, reason), options.selection)
    : walkStream(options.stream.name, options.source, options.stream.time);
  const head = await walkWhileLoading(walk.entries, options.previous);
  const resolved = { ...options, previous: await options.previous };
  const pool = new ArchivePool({
    keys: options.keys,
    knownIds: options.knownIds,
    upload: options.upload,
    workers: options.workers ?? 2,
    maxInFlightBytes: options.maxInFlightBytes ?? DEFAULT_IN_FLIGHT_BYTES,
  });
  const run = new RunState(resolved, pool);
  warn = run.warn;
  for (const [path, reason] of early) run.warn(path, reason);
  const entries = chain(head, walk.entries);
  const queue = new JobQueue();
  const done = pool.run(queue, run.sink());
  done.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
  try {
    while (!pool.settled && run.walkSome(entries, queue)) {
      pool.pump();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    // The walk is over: the last files go to the workers while the known ids finish loading.
    queue.flush();
    pool.pump();
    await run.checkTrusted(queue);
    queue.end();
    run.walked();
    pool.pump();
    await done;
  } finally {
    pool.close();
  }
  run.report();
  return run.result(walk.rootType);
}

/**
 * Walks ahead (at most `PREFETCH_ENTRIES`) while `loading` is pending, a slice at a time with a
 * turn of the event loop between slices, so the requests behind it go out and their replies are
 * read and decoded meanwhile. Returns what it walked.
 */
async function walkWhileLoading(
  entries: Iterator<WalkedEntry>,
  loading: unknown,
): Promise<WalkedEntry[]> {
  if (!(loading instanceof Promise)) return [];
  let pending = true;
  loading.then(() => pending = false, () => pending = false);
  const head: WalkedEntry[] = [];
  while (head.length < PREFETCH_ENTRIES) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (!pending) break;
    for (let i = 0; i < WALK_SLICE; i++) {
      const next = entries.next();
      if (next.done === true) return head;
      head.push(next.value);
    }
  }
  return head;
}

function* chain(
  head: readonly WalkedEntry[],
  rest: Iterator<WalkedEntry>,
): Generator<WalkedEntry, void, undefined> {
  yield* head;
  for (let next = rest.next(); next.done !== true; next = rest.next()) yield next.value;
}

/** What the run learns from the walk and the workers, and its progress reports. */
class RunState {
  readonly #options: ResolvedOptions;
  readonly #pool: ArchivePool;
  readonly #entries: TreeEntry[] = [];
  readonly #statuses = new Map<string, FileStatus>();
  readonly #failed = new Set<number>();
  readonly #sizes = new Map<number, number>();
  /** Paths of files that hard links name. */
  readonly #linkTargets = new Set<string>();
  #warnings = 0;
  #files = 0;
  #filesDone = 0;
  #bytesToRead = 0;
  #bytesRead = 0;
  /** Bytes of files done: read, or holes of sparse files taken as zeros. */
  #bytesDone = 0;
  #walked = false;
  #current: string | undefined;
  /** The ids the server has, once they are in. */
  #known: IdSet | undefined;
  /** Unchanged files reused before the known ids were in: checked once they are. */
  readonly #trusted: { ref: number; source: string }[] = [];

  constructor(options: ResolvedOptions, pool: ArchivePool) {
    this.#options = options;
    this.#pool = pool;
    if (options.knownIds instanceof Promise) {
      options.knownIds.then((known) => this.#known = known, () => {});
    } else this.#known = options.knownIds;
  }

  /** Counts a warning and passes it on. */
  readonly warn = (path: string, reason: string): void => {
    this.#warnings++;
    this.#options.onWarning?.(path, reason);
  };

  /** Takes up to a slice of entries from the walk; false once the walk is over. */
  walkSome(entries: Iterator<WalkedEntry>, queue: JobQueue): boolean {
    for (let i = 0; i < WALK_SLICE; i++) {
      const next = entries.next();
      if (next.done === true) return false;
      const { entry, source } = next.value;
      const ref = this.#entries.push(entry) - 1;
      if (entry.type === "hardlink") {
        this.#linkTargets.add(entry.target);
        this.#statuses.set(entry.path, fileStatus(entry, this.#options.previous?.get(entry.path)));
      }
      if (entry.type !== "file") continue;
      const reuse = this.#reuse(entry);
      if (reuse === "read") this.#read(queue, ref, source);
      else if (reuse === "trusted") this.#trusted.push({ ref, source });
    }
    this.report(); // unchanged files count as the walk finds them, not all at once later
    return true;
  }

  /**
   * Classifies a file; reuses the parent's chunks when it is unchanged and they are all stored
   * ("trusted" while the known ids are not in to tell).
   */
  #reuse(entry: TreeEntry): "read" | "reused" | "trusted" {
    this.#files++;
    const before = this.#options.previous?.get(entry.path);
    const status = fileStatus(entry, before);
    this.#statuses.set(entry.path, status);
    if (status !== "unchanged") return "read";
    const known = this.#known;
    if (known !== undefined && !before!.chunks.every((id) => known.has(id))) return "read";
    entry.chunks = [...before!.chunks];
    this.#filesDone++;
    this.#current = entry.path;
    return known === undefined ? "trusted" : "reused";
  }

  /** Queues file `ref` to be read. */
  #read(queue: JobQueue, ref: number, source: string): void {
    const entry = this.#entries[ref]!;
    queue.add({ ref, source, size: entry.size });
    this.#bytesToRead += entry.size;
  }

  /**
   * Waits for the known ids, then queues to be read again every file reused on trust whose
   * chunks are not all stored (the server lost one).
   */
  async checkTrusted(queue: JobQueue): Promise<void> {
    const known = await this.#options.knownIds;
    for (const { ref, source } of this.#trusted) {
      const entry = this.#entries[ref]!;
      if (entry.chunks.every((id) => known.has(id))) continue;
      entry.chunks = [];
      this.#filesDone--;
      this.#read(queue, ref, source);
    }
    this.#trusted.length = 0;
  }

  /** The walk is over: totals are known from now on. */
  walked(): void {
    this.#walked = true;
    this.report();
  }

  /** The sink the pool reports to. A file's size becomes the bytes actually read. */
  sink(): ArchiveSink {
    return {
      chunks: (ref, ids, bytes, holeBytes) => {
        const chunks = this.#entries[ref]!.chunks;
        for (const id of ids) chunks.push(id);
        this.#sizes.set(ref, (this.#sizes.get(ref) ?? 0) + bytes);
        this.#bytesDone += bytes;
        this.#bytesRead += bytes - holeBytes;
      },
      fileEnd: (ref, error, changed) => {
        this.#filesDone++;
        const entry = this.#entries[ref]!;
        this.#current = entry.path;
        if (error === undefined) {
          entry.size = this.#sizes.get(ref) ?? 0;
          if (changed) {
            this.warn(entry.path, "it changed while it was read; the snapshot holds what was read");
          }
        } else {
          this.#failed.add(ref);
          this.warn(entry.path, error);
        }
        this.#sizes.delete(ref);
      },
      replied: () => this.report(),
    };
  }

  /** Calls `onProgress`, if any, with the figures so far (totals once the walk is over). */
  report(): void {
    if (this.#options.onProgress === undefined) return;
    const progress: ArchiveProgress = {
      files: this.#filesDone,
      bytesRead: this.#bytesDone,
      bytesSealed: this.#pool.bytesSealed,
    };
    if (this.#walked) {
      progress.totalFiles = this.#files;
      progress.totalBytes = this.#bytesToRead;
    }
    if (this.#current !== undefined) progress.current = this.#current;
    this.#options.onProgress(progress);
  }

  /**
   * The entries kept (files that could be read, hard links whose target was) and the summary.
   * Hard links get their target's size and chunks.
   */
  result(rootType: "file" | "dir"): ArchiveResult {
    const targets = new Map<string, TreeEntry | null>();
    if (this.#linkTargets.size > 0) {
      this.#entries.forEach((entry, ref) => {
        if (entry.type !== "file" || !this.#linkTargets.has(entry.path)) return;
        targets.set(entry.path, this.#failed.has(ref) ? null : entry);
      });
    }
    const entries = this.#failed.size === 0 && this.#linkTargets.size === 0
      ? this.#entries
      : this.#entries.filter((entry, ref) =>
        !this.#failed.has(ref) && this.#linked(entry, targets)
      );
    const figures = {
      bytesRead: this.#bytesRead,
      bytesSent: this.#pool.bytesSent,
      warnings: this.#warnings,
    };
    const summary = summarize(entries, this.#statuses, this.#options.previous, figures);
    return { rootType, entries, summary };
  }

  /**
   * Whether `entry` is kept: anything but a hard link is; a hard link gets its target's content
   * (and is kept) when the target was read, else it is left out with a warning.
   */
  #linked(entry: TreeEntry, targets: ReadonlyMap<string, TreeEntry | null>): boolean {
    if (entry.type !== "hardlink") return true;
    const target = targets.get(entry.target);
    if (target === undefined || target === null) {
      this.warn(entry.path, `Cannot back up hard link: its file "${entry.target}" was not read`);
      return false;
    }
    entry.size = target.size;
    entry.chunks = target.chunks;
    return true;
  }
}
