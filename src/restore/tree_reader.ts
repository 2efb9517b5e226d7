/**
 * Walks a tree's entries in manifest order and hands out each file's verified content, for the
 * restorer and the archive exporters alike.
 *
 * Invariants: every entry passes `EntryGuard` before it is yielded; a file's chunks are yielded
 * one at a time (never a whole file in memory), their lengths summing to exactly `entry.size`,
 * else IntegrityError naming the file; the chunk ids of the whole tree go to one
 * `ChunkSource.fetch` call, generated as the source reads ahead (each with its file's average
 * chunk size as the guess of its size), so a networked source pipelines across files with no
 * pause between them and holds only its read-ahead; the event loop gets a turn every few MiB and
 * every few hundred entries.
 *
 * @module
 */
import { IntegrityError } from "../errors.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { EntryGuard, quotePath } from "./_entry_guard.ts";
import { Fifo } from "../fifo.ts";
import { type ChunkSource, type ChunkWant, MissingChunkError } from "../client/chunk_source.ts";

/** Counts of what was restored or exported. */
export interface TreeTotals {
  files: number;
  folders: number;
  symlinks: number;
  /** Bytes of file content. */
  bytes: number;
}

/** Progress and warning callbacks shared by restore and export. */
export interface TreeProgress {
  /** Called as files and bytes complete; cheap, may be called often. */
  onProgress?(progress: { files: number; bytes: number; current: string }): void;
  /** Called for something that was not restored exactly but did not stop the restore. */
  onWarning?(path: string, reason: string): void;
}

/** One entry with its content: a file's chunks, to be consumed fully before the next item. */
export interface TreeItem {
  entry: TreeEntry;
  chunks: AsyncIterable<Uint8Array>;
}

const YIELD_ENTRIES = 512;
const YIELD_BYTES = 8 * 1024 * 1024;
const NO_CHUNKS: AsyncIterable<Uint8Array> = { async *[Symbol.asyncIterator]() {} };

/** Shared state of one walk. */
interface Walk {
  totals: TreeTotals;
  progress: TreeProgress;
  sinceYield: number;
  /** Chunks handed out so far. */
  taken: number;
}

/** Gives timers and I/O callbacks a turn. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Reads the tree's entries once for two readers: the chunk source, which pulls the chunks it
 * wants ahead of the consumer (`wants`), and the consumer, which takes whole entries
 * (`nextEntry`). Each entry is checked by `EntryGuard` as it is read; the first entry that fails
 * stops both readers at that point, and its error is thrown to whichever gets there.
 */
class TreeCursor {
  readonly #entries: Iterator<TreeEntry>;
  readonly #guard = new EntryGuard();
  /** Entries read and not yet taken by the consumer. */
  readonly #unread = new Fifo<TreeEntry>();
  /** Chunks of the entries read, not yet pulled by the source. */
  readonly #unwanted = new Fifo<ChunkWant>();
  #done = false;
  #failure: unknown = undefined;

  constructor(entries: Iterable<TreeEntry>) {
    this.#entries = entries[Symbol.iterator]();
  }

  /** Every chunk of every file, in tree order. */
  *wants(): Generator<ChunkWant> {
    for (;;) {
      while (this.#unwanted.size === 0) if (!this.#read()) return;
      yield this.#unwanted.shift();
    }
  }

  /** The next entry, or undefined after the last. @throws {IntegrityError} for an unsafe entry */
  nextEntry(): TreeEntry | undefined {
    if (this.#unread.size === 0 && !this.#read()) return undefined;
    return this.#unread.shift();
  }

  #read(): boolean {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#done) return false;
    try {
      const next = this.#entries.next();
      if (next.done) {
        this.#done = true;
        return false;
      }
      const entry = next.value;
      this.#guard.check(entry);
      this.#unread.push(entry);
      const plainSize = entry.size / entry.chunks.length;
      for (const id of entry.chunks) this.#unwanted.push({ id, plainSize });
      return true;
    } catch (error) {
      this.#failure = error;
      throw error;
    }
  }
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
      const problem = error instanceof MissingChunkError
        ? "is missing or damaged on the server; run burrow check"
        : "does not verify";
      throw new IntegrityError(`Cannot restore ${quotePath(entry.path)}: chunk ${i} ${problem}`, {
        cause: error,
      });
    }
    if (next.done) {
      throw new IntegrityError(`Cannot restore ${quotePath(entry.path)}: chunk ${i} is missing`);
    }
    const length = next.value.length; // read now: the consumer may free the chunk
    bytes += length;
    if (bytes > entry.size) throw sizeError(entry, `more than ${entry.size}`);
    walk.taken++;
    yield next.value;
    walk.totals.bytes += length;
    walk.progress.onProgress?.({
      files: walk.totals.files,
      bytes: walk.totals.bytes,
      current: entry.path,
    });
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

/**
 * Yields each entry (checked by `EntryGuard`) with its content, updating `totals` as each
 * file's chunks are consumed. The consumer must read a file's `chunks` to the end before asking
 * for the next item.
 *
 * @throws {IntegrityError} for an unsafe entry, a chunk that does not verify, or a size mismatch
 */
export async function* readTree(
  entries: Iterable<TreeEntry>,
  source: ChunkSource,
  totals: TreeTotals,
  progress: TreeProgress = {},
): AsyncGenerator<TreeItem> {
  const walk: Walk = { totals, progress, sinceYield: 0, taken: 0 };
  const cursor = new TreeCursor(entries);
  const chunks = source.fetch(cursor.wants())[Symbol.asyncIterator]();
  try {
    let sinceYield = 0;
    for (let entry = cursor.nextEntry(); entry !== undefined; entry = cursor.nextEntry()) {
      if (entry.type !== "file") {
        walk.totals[entry.type === "dir" ? "folders" : "symlinks"]++;
        yield { entry, chunks: NO_CHUNKS };
      } else {
        const until = walk.taken + entry.chunks.length;
        yield { entry, chunks: fileChunks(entry, chunks, walk) };
        if (walk.taken !== until) throw new Error("Cannot walk the tree: a file was not consumed");
        walk.totals.files++;
        walk.progress.onProgress?.({
          files: walk.totals.files,
          bytes: walk.totals.bytes,
          current: entry.path,
        });
      }
      if (++sinceYield >= YIELD_ENTRIES) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
    if (!(await chunks.next()).done) {
      throw new IntegrityError("Cannot restore: the chunk source returned more chunks than asked");
    }
  } finally {
    await chunks.return?.();
  }
}
