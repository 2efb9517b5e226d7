/**
 * Walks a tree's entries in manifest order and hands out each file's verified content, for the
 * restorer and the archive exporters alike.
 *
 * Invariants: every entry passes `EntryGuard` before it is yielded; a file's chunks are yielded
 * one at a time (never a whole file in memory), their lengths summing to exactly `entry.size`,
 * else IntegrityError naming the file; the chunk ids of consecutive files are fetched in one
 * `ChunkSource.fetch` call per batch (≤ 8 MiB or 512 entries), with each file's average chunk
 * size as the guess of its chunks' sizes, so a networked source can pipeline them and size its
 * requests; the event loop gets a turn every few MiB.
 *
 * @module
 */
import { IntegrityError } from "../errors.ts";
import type { TreeEntry } from "../repo/snapshot_model.ts";
import { EntryGuard, quotePath } from "./_entry_guard.ts";
import type { ChunkSource } from "./chunk_source.ts";

/** Counts of what was restored or exported. */
export interface TreeTotals {
  files: number;
  dirs: number;
  symlinks: number;
  /** Bytes of file content. */
  bytes: number;
}

/** Progress and warning callbacks shared by restore and export. */
export interface TreeProgress {
  /** Called as files and bytes complete; cheap, may be called often. */
  onProgress?(progress: { files: number; bytes: number }): void;
  /** Called for something that was not restored exactly but did not stop the restore. */
  onWarning?(path: string, reason: string): void;
}

/** One entry with its content: a file's chunks, to be consumed fully before the next item. */
export interface TreeItem {
  entry: TreeEntry;
  chunks: AsyncIterable<Uint8Array>;
}

const BATCH_BYTES = 8 * 1024 * 1024;
const BATCH_ENTRIES = 512;
const YIELD_BYTES = 8 * 1024 * 1024;
const NO_CHUNKS: AsyncIterable<Uint8Array> = { async *[Symbol.asyncIterator]() {} };

/** Shared state of one walk. */
interface Walk {
  totals: TreeTotals;
  progress: TreeProgress;
  sinceYield: number;
  pending: number;
}

/** Gives timers and I/O callbacks a turn. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function* batches(
  entries: AsyncIterable<TreeEntry> | Iterable<TreeEntry>,
): AsyncGenerator<TreeEntry[]> {
  const guard = new EntryGuard();
  let batch: TreeEntry[] = [];
  let bytes = 0;
  for await (const entry of entries) {
    guard.check(entry);
    batch.push(entry);
    bytes += entry.size;
    if (bytes >= BATCH_BYTES || batch.length >= BATCH_ENTRIES) {
      yield batch;
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) yield batch;
}

async function* fileChunks(
  entry: TreeEntry,
  chunks: AsyncIterator<Uint8Array>,
  walk: Walk,
): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for (let i = 0; i < entry.chunks.length; i++) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await chunks.next();
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      throw new IntegrityError(
        `Cannot restore ${quotePath(entry.path)}: chunk ${i} does not verify`,
        {
          cause: error,
        },
      );
    }
    if (next.done) {
      throw new IntegrityError(`Cannot restore ${quotePath(entry.path)}: chunk ${i} is missing`);
    }
    const length = next.value.length; // read now: the consumer may free the chunk
    bytes += length;
    if (bytes > entry.size) throw sizeError(entry, `more than ${entry.size}`);
    walk.pending--;
    yield next.value;
    walk.totals.bytes += length;
    walk.progress.onProgress?.({ files: walk.totals.files, bytes: walk.totals.bytes });
    walk.sinceYield += length;
    if (walk.sinceYield >= YIELD_BYTES) {
      walk.sinceYield = 0;
      await yieldToEventLoop();
    }
  }
  if (bytes !== entry.size) throw sizeError(entry, String(bytes));
}

function sizeError(entry: TreeEntry, held: string): IntegrityError {
  return new IntegrityError(
    `Cannot restore ${quotePath(entry.path)}: its chunks hold ${held} bytes, not ${entry.size}`,
  );
}

async function* readBatch(
  batch: readonly TreeEntry[],
  source: ChunkSource,
  walk: Walk,
): AsyncGenerator<TreeItem> {
  const ids = batch.flatMap((entry) => entry.chunks);
  const plainSizes = batch.flatMap((entry) =>
    entry.chunks.map(() => entry.size / entry.chunks.length)
  );
  const chunks = source.fetch(ids, plainSizes)[Symbol.asyncIterator]();
  walk.pending = ids.length;
  try {
    for (const entry of batch) {
      if (entry.type !== "file") {
        walk.totals[entry.type === "dir" ? "dirs" : "symlinks"]++;
        yield { entry, chunks: NO_CHUNKS };
        continue;
      }
      const left = walk.pending - entry.chunks.length;
      yield { entry, chunks: fileChunks(entry, chunks, walk) };
      if (walk.pending !== left) throw new Error("Cannot walk the tree: a file was not consumed");
      walk.totals.files++;
      walk.progress.onProgress?.({ files: walk.totals.files, bytes: walk.totals.bytes });
    }
    if (ids.length > 0 && !(await chunks.next()).done) {
      throw new IntegrityError("Cannot restore: the chunk source returned more chunks than asked");
    }
  } finally {
    await chunks.return?.();
  }
}

/**
 * Yields each entry (checked by `EntryGuard`) with its content, updating `totals` as each
 * file's chunks are consumed. The consumer must read a file's `chunks` to the end before asking
 * for the next item.
 *
 * @throws {IntegrityError} for an unsafe entry, a chunk that does not verify, or a size mismatch
 */
export async function* readTree(
  entries: AsyncIterable<TreeEntry> | Iterable<TreeEntry>,
  source: ChunkSource,
  totals: TreeTotals,
  progress: TreeProgress = {},
): AsyncGenerator<TreeItem> {
  const walk: Walk = { totals, progress, sinceYield: 0, pending: 0 };
  for await (const batch of batches(entries)) {
    yield* readBatch(batch, source, walk);
    await yieldToEventLoop();
  }
}
