/**
 * Restores a snapshot's tree into a folder DEST (`burrow pull DEST`).
 *
 * Invariants: the manifest is treated as hostile even after decryption — every entry path is
 * checked again, and nothing is ever written outside DEST (no absolute path, no `..`, no write
 * through a symlink, including one this restore created); a file appears under its final name
 * only once all its chunks verified and their lengths matched its size; nothing is held in
 * memory beyond one chunk per file. DEST may hold files already: a file or symlink with the same
 * path is replaced by rename, a real folder is kept and reused, and the partial files a killed
 * restore left in such a folder are removed. Restored files are not fsynced one by one (see
 * `_folder_writer.ts`). Setuid and setgid bits are dropped unless `preserveSpecialBits`, as tar
 * does without -p: restored files belong to whoever restores them (owners are not recorded), so
 * a set-id bit from a snapshot restored by root would make a program that runs as root. The
 * sticky bit is kept.
 *
 * @module
 */
import type { TreeEntry } from "../format/snapshot_model.ts";
import { FolderWriter } from "./_folder_writer.ts";
import { RestorePool } from "./_restore_pool.ts";
import { readTree, type TreeProgress, type TreeTotals } from "./tree_reader.ts";
import type { ChunkSource } from "../client/chunk_source.ts";

/** Options of `restoreToFolder`: progress and warning callbacks, and which mode bits to keep. */
export interface RestoreOptions extends TreeProgress {
  /** Give files and folders their setuid and setgid bits too (default: dropped). */
  preserveSpecialBits?: boolean;
}

/** Setuid and setgid. */
const SET_ID_BITS = 0o6000;

/** What `restoreToFolder` restored: counts of files, folders, symlinks and bytes of content. */
export type RestoreResult = TreeTotals;

/**
 * Writes `entries` (paths relative to DEST, folders before their contents) into the folder
 * `dest`, creating it if missing, and returns what was restored.
 *
 * @param source yields each file's verified chunk plaintext
 * @throws {IntegrityError} for an entry that would leave DEST or breaks the tree rules, a chunk
 *   that does not verify (`Cannot restore "PATH": chunk 3 does not verify`, 0-based) or a file
 *   whose chunks do not add up to its size; the file being written is then removed
 */
export async function restoreToFolder(
  entries: Iterable<TreeEntry>,
  source: ChunkSource,
  dest: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const existed = makeDest(dest);
  const writer = new FolderWriter(Deno.realPathSync(dest));
  if (existed) writer.sweepRoot();
  const files = new RestorePool();
  const totals: TreeTotals = { files: 0, folders: 0, symlinks: 0, bytes: 0 };
  try {
    for await (const item of readTree(entries, source, totals, options)) {
      const { chunks } = item;
      const entry = options.preserveSpecialBits || (item.entry.mode & SET_ID_BITS) === 0
        ? item.entry
        : { ...item.entry, mode: item.entry.mode & ~SET_ID_BITS };
      if (entry.type === "dir") writer.makeFolder(entry);
      else if (entry.type === "symlink") writer.makeSymlink(entry);
      else {
        const { temp, path } = writer.fileTarget(entry);
        await files.writeFile(entry, temp, path, chunks);
      }
    }
  } catch (error) {
    await files.finish().catch(() => {}); // removes the temp file of the file that failed
    throw error;
  }
  await files.finish();
  writer.finishFolders(options.onWarning);
  return { ...totals };
}

/** Creates DEST (and its parents) when missing; true when it was there already. */
function makeDest(dest: string): boolean {
  try {
    Deno.mkdirSync(dest);
    return false;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return true;
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  Deno.mkdirSync(dest, { recursive: true });
  return false;
}
