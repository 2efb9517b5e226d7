/**
 * Walks a tree's entries in manifest order and hands out each file's verified content, for the
 * restorer and the archive exporters alike.
 *
 * Invariants: every entry passes `EntryGuard` before it is yielded; a file's chunks are yielded
 * one at a time (never a whole file in memory), their lengths summing to exactly `entry.size`;
 * a file whose chunk does not verify, is missing, or whose chunks do not add up to its size is
 * damaged: its chunks iterator throws `DamagedFileError` (the consumer drops what it wrote of
 * it), and a consumer that catches it and asks for the next item gets the rest of the tree, so
 * one damaged chunk costs only the files that need it (each of them); the chunk ids of the whole
 * tree go to one `ChunkSource.fetch` call, generated as the source reads ahead (each with its
 * file's average chunk size as the guess of its size), so a networked source pipelines across
 * files with no pause between them and holds only its read-ahead; the event loop gets a turn
 * every few MiB and every few hundred entries. A hard link is handed out as a link (no chunks,
 * `size` 0) only to a consumer that makes links (`hardLinks`) and only when its target was handed
 * out as a file before it; otherwise it is handed out as a file with its content, and later links
 * to the same target name that path instead. Sockets are counted, never handed out.
 *
 * @module
 */
import { IntegrityError } from "../errors.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { releaseBytes } from "../release_bytes.ts";
import { quotePath } from "./_entry_guard.ts";
import { TreeCursor } from "./_tree_cursor.ts";

export { quotePath };
import { type ChunkItem, type ChunkSource, MissingChunkError } from "../client/chunk_source.ts";

/** Counts of what was restored or exported. */
export interface TreeTotals {
  /** Files whose content verified and was handed out whole. */
  files: number;
  folders: number;
  symlinks: number;
  /** Hard links handed out as links (a link handed out with its content counts in `files`). */
  hardLinks: number;
  /** Fifos and devices the consumer made or wrote. */
  specials: number;
  /** Fifos and devices the consumer could not make or write (each reported as a warning). */
  specialsSkipped: number;
  /** Sockets in the tree: never recreated (a socket is made by the program that listens on it). */
  sockets: number;
  /** Bytes of file content (of the files counted in `files`). */
  bytes: number;
  /** Files left out because their data is missing or damaged (see `DamagedFileError`). */
  filesDamaged: number;
}

/** Progress and warning callbacks shared by restore and export. */
export interface TreeProgress {
  /**
   * Hand out hard links as links where their target was handed out before (for consumers that
   * make links: a folder, a tar); default: every hard link comes with its content, as a file.
   */
  hardLinks?: boolean;
  /** Called as files and bytes complete; cheap, may be called often. */
  onProgress?(progress: { files: number; bytes: number; current: string }): void;
  /** Called for something that was not restored exactly but did not stop the restore. */
  onWarning?(path: string, reason: string): void;
  /** Called for each file left out because its data is missing or damaged, once it is passed. */
  onDamaged?(damage: DamagedFileError): void;
}

/**
 * A file whose content cannot be restored: a chunk that does not verify or is missing (its
 * 0-based index in `chunk`), or chunks that do not add up to its size (`chunk` undefined).
 * Message: `Cannot restore "PATH": chunk 3 does not verify`.
 */
export class DamagedFileError extends IntegrityError {
  /** The file's path in the tree. */
  readonly path: string;
  /** The first chunk that failed, if one did. */
  readonly chunk: number | undefined;
  /** What is wrong, e.g. `chunk 3 does not verify`. */
  readonly problem: string;

  constructor(path: string, chunk: number | undefined, problem: string, cause?: unknown) {
    super(`Cannot restore ${quotePath(path)}: ${problem}`, { cause });
    this.path = path;
    this.chunk = chunk;
    this.problem = problem;
  }
}

/** Empty totals. */
export function emptyTotals(): TreeTotals {
  return {
    files: 0,
    folders: 0,
    symlinks: 0,
    hardLinks: 0,
    specials: 0,
    specialsSkipped: 0,
    sockets: 0,
    bytes: 0,
    filesDamaged: 0,
  };
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
  /** Chunks taken from the source so far. */
  taken: number;
  /** Why the file being handed out is damaged, once it is known. */
  damage: DamagedFileError | undefined;
}

/** Gives timers and I/O callbacks a turn. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The totals field an entry handed out without content counts in (none for a special file). */
function countOf(type: TreeEntry["type"]): "folders" | "symlinks" | "hardLinks" | undefined {
  return type === "dir"
    ? "folders"
    : type === "symlink"
    ? "symlinks"
    : type === "hardlink"
    ? "hardLinks"
    : undefined;
}

async function* fileChunks(
  entry: TreeEntry,
  chunks: AsyncIterator<ChunkItem>,
  walk: Walk,
): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  let counted = 0;
  try {
    for (let i = 0; i < entry.chunks.length; i++) {
      const next = await chunks.next();
      if (next.done) {
        throw new IntegrityError(`Cannot restore ${quotePath(entry.path)}: chunk ${i} is missing`);
      }
      walk.taken++;
      const item = next.value;
      if (!(item instanceof Uint8Array)) {
        const problem = item instanceof MissingChunkError
          ? "is missing or damaged on the server"
          : "does not verify";
        throw walk.damage = new DamagedFileError(entry.path, i, `chunk ${i} ${problem}`, item);
      }
      const length = item.length; // read now: the consumer may free the chunk
      bytes += length;
      if (bytes > entry.size) {
        releaseBytes(item);
        throw walk.damage = sizeDamage(entry, `more than ${entry.size}`);
      }
      yield item;
      walk.totals.bytes += length;
      counted += length;
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
    if (bytes !== entry.size) throw walk.damage = sizeDamage(entry, String(bytes));
  } catch (error) {
    walk.totals.bytes -= counted; // the file is not restored
    throw error;
  }
}

function sizeDamage(entry: TreeEntry, held: string): DamagedFileError {
  return new DamagedFileError(
    entry.path,
    undefined,
    `its chunks hold ${held} bytes, not ${entry.size}`,
  );
}

/** Takes and frees `count` chunks a damaged file left unread, so the next file starts in place. */
async function skipChunks(chunks: AsyncIterator<ChunkItem>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const next = await chunks.next();
    if (next.done) {
      throw new IntegrityError("Cannot restore: the chunk source returned too few chunks");
    }
    if (next.value instanceof Uint8Array) releaseBytes(next.value);
  }
}

/**
 * Yields each entry (checked by `EntryGuard`) but sockets with its content, updating `totals` as
 * each file's chunks are consumed (special files are the consumer's to count). The consumer must read a file's `chunks` to the end (or until they
 * throw `DamagedFileError`) before asking for the next item; a damaged file is then counted in
 * `filesDamaged` and reported to `onDamaged`, and the walk goes on.
 *
 * @throws {IntegrityError} for an unsafe entry, or a source that breaks its contract
 */
export async function* readTree(
  entries: Iterable<TreeEntry>,
  source: ChunkSource,
  totals: TreeTotals,
  progress: TreeProgress = {},
): AsyncGenerator<TreeItem> {
  const walk: Walk = { totals, progress, sinceYield: 0, taken: 0, damage: undefined };
  const cursor = new TreeCursor(entries, progress.hardLinks === true);
  const chunks = source.fetch(cursor.wants())[Symbol.asyncIterator]();
  try {
    let sinceYield = 0;
    for (let entry = cursor.nextEntry(); entry !== undefined; entry = cursor.nextEntry()) {
      if (entry.type === "socket") walk.totals.sockets++;
      else if (entry.type !== "file") {
        const counted = countOf(entry.type);
        if (counted !== undefined) walk.totals[counted]++;
        yield { entry, chunks: NO_CHUNKS };
      } else {
        const until = walk.taken + entry.chunks.length;
        walk.damage = undefined;
        yield { entry, chunks: fileChunks(entry, chunks, walk) };
        const damage = walk.damage as DamagedFileError | undefined;
        if (damage !== undefined) {
          await skipChunks(chunks, until - walk.taken);
          walk.taken = until;
          walk.totals.filesDamaged++;
          walk.progress.onDamaged?.(damage);
        } else if (walk.taken !== until) {
          throw new Error("Cannot walk the tree: a file was not consumed");
        } else walk.totals.files++;
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
