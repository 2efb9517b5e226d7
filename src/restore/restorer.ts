/**
 * Restores a snapshot's tree into a folder DEST (`burrow pull DEST`).
 *
 * Invariants: the manifest is treated as hostile even after decryption — every entry path is
 * checked again, and nothing is ever written outside DEST (no absolute path, no `..`, no write
 * through a symlink, including one this restore created); a file appears under its final name
 * only once all its chunks verified and their lengths matched its size, and a file whose data is
 * missing or damaged is left out (its temp file removed, what was at its path kept) while the
 * restore goes on with the others; nothing is held in memory beyond one chunk per file. What is
 * in DEST already is decided on by the plan (`_restore_plan.ts`): without an overwrite mode a
 * restore refuses to write over anything; with one, a file or symlink that is replaced is
 * replaced by rename, a real folder is kept and reused, and the partial files a killed restore
 * left in such a folder are removed. Restored files are not fsynced one by one (see
 * `_folder_writer.ts`). Setuid and setgid bits are dropped unless `preserveSpecialBits`, as tar
 * does without -p: restored files belong to whoever restores them (owners are not recorded), so
 * a set-id bit from a snapshot restored by root would make a program that runs as root. The
 * sticky bit is kept.
 *
 * @module
 */
import { BurrowError } from "../errors.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { quotePath } from "./_entry_guard.ts";
import { FolderWriter } from "./_folder_writer.ts";
import { RestorePool } from "./_restore_pool.ts";
import {
  type OverwriteMode,
  type PlanCounts,
  type PlanEvent,
  RestorePlan,
} from "./_restore_plan.ts";
import {
  DamagedFileError,
  emptyTotals,
  readTree,
  type TreeProgress,
  type TreeTotals,
} from "./tree_reader.ts";
import type { ChunkSource } from "../client/chunk_source.ts";

export { OVERWRITE_MODES, type OverwriteMode, type PlanEvent } from "./_restore_plan.ts";

/** Options of `restoreToFolder`: what to do with what exists, callbacks, mode bits to keep. */
export interface RestoreOptions extends TreeProgress {
  /** Give files and folders their setuid and setgid bits too (default: dropped). */
  preserveSpecialBits?: boolean;
  /**
   * What to do with entries whose path is taken (see `OverwriteMode`); undefined (the default):
   * refuse when a top-level entry's path is taken, unless by an empty folder for a folder.
   */
  overwrite?: OverwriteMode | undefined;
  /** Remove what folders that were there hold and the snapshot does not (never DEST itself). */
  delete?: boolean | undefined;
  /** Decide and report everything, write nothing, fetch nothing, and leave DEST as it is. */
  dryRun?: boolean | undefined;
  /** Called for each create, overwrite, skip and delete, in tree order (deletions last). */
  onPlan?(event: PlanEvent): void;
  /** File-writer threads to start with (default 2; a restore of a few files needs one). */
  fileWriters?: number | undefined;
}

/** Setuid and setgid. */
const SET_ID_BITS = 0o6000;

/** What `restoreToFolder` did: what it restored, and what it did with what was there. */
export type RestoreResult = TreeTotals & PlanCounts;

/** A result with every count 0. */
export function emptyRestoreResult(): RestoreResult {
  return { ...emptyTotals(), created: 0, overwritten: 0, skipped: 0, deleted: 0, conflicts: 0 };
}

/**
 * Writes `entries` (paths relative to DEST, folders before their contents) into the folder
 * `dest`, creating it if missing, and returns what was restored. A file whose data is missing or
 * damaged is reported to `onDamaged`, counted in `filesDamaged`, and left out.
 *
 * @param source yields each file's verified chunk plaintext
 * @throws {BurrowError} CONFLICT when DEST is (or is under) a file, or, without `overwrite`,
 *   when a top-level entry's path is taken
 * @throws {IntegrityError} for an entry that would leave DEST or breaks the tree rules
 */
export async function restoreToFolder(
  entries: Iterable<TreeEntry>,
  source: ChunkSource,
  dest: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const modes = options.preserveSpecialBits ? entries : withoutSetIdBits(entries);
  if (options.dryRun) return planOnly(modes, dest, options);
  const existed = makeDest(dest);
  const root = Deno.realPathSync(dest);
  const plan = new RestorePlan(root, dest, !existed, options);
  const writer = new FolderWriter(root);
  if (existed) writer.sweepRoot();
  const files = new RestorePool(
    options.fileWriters === undefined ? {} : { workers: options.fileWriters },
  );
  const totals = emptyTotals();
  try {
    for await (const { entry, chunks } of readTree(plan.filter(modes), source, totals, options)) {
      if (entry.type === "dir") writer.makeFolder(entry, plan.keepsFolder(entry.path));
      else {
        if (plan.mustClear(entry.path)) writer.clear(entry);
        if (entry.type === "symlink") writer.makeSymlink(entry);
        else {
          const { temp, path } = writer.fileTarget(entry);
          await files.writeFile(entry, temp, path, chunks).catch((error) => {
            if (!(error instanceof DamagedFileError)) throw error; // counted by readTree
          });
        }
      }
    }
  } catch (error) {
    await files.finish().catch(() => {}); // removes the temp file of the file that failed
    throw error;
  }
  await files.finish();
  plan.removeExtra(false);
  writer.finishFolders(options.onWarning);
  return { ...totals, ...plan.counts };
}

/** A dry run: every decision reported to `onPlan`, nothing written or fetched. */
function planOnly(
  entries: Iterable<TreeEntry>,
  dest: string,
  options: RestoreOptions,
): RestoreResult {
  const root = existingFolder(dest);
  const plan = new RestorePlan(root ?? dest, dest, root === null, { ...options, guardAll: true });
  const decided = plan.filter(entries);
  while (!decided.next().done) continue;
  plan.removeExtra(true);
  return { ...emptyRestoreResult(), ...plan.counts };
}

/** The entries with their setuid and setgid bits cleared. */
function* withoutSetIdBits(entries: Iterable<TreeEntry>): Generator<TreeEntry> {
  for (const entry of entries) {
    yield (entry.mode & SET_ID_BITS) === 0 ? entry : { ...entry, mode: entry.mode & ~SET_ID_BITS };
  }
}

/**
 * Creates DEST (and its parents) when missing; true when it was there already.
 * @throws {BurrowError} CONFLICT when DEST, or a folder it would be in, is a file
 */
function makeDest(dest: string): boolean {
  if (existingFolder(dest) !== null) return true;
  try {
    Deno.mkdirSync(dest, { recursive: true });
    return false;
  } catch (error) {
    if (error instanceof Deno.errors.NotADirectory || error instanceof Deno.errors.AlreadyExists) {
      throw notAFolder(dest);
    }
    throw error;
  }
}

/** DEST resolved when it is a folder (through a symlink the user gave), null when missing. */
function existingFolder(dest: string): string | null {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(dest);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    if (error instanceof Deno.errors.NotADirectory) throw notAFolder(dest);
    throw error;
  }
  if (!info.isDirectory) throw notAFolder(dest);
  return Deno.realPathSync(dest);
}

/** Why DEST cannot be a folder: it is a file, or a folder it would be in is one. */
function notAFolder(dest: string): BurrowError {
  const file = firstFile(dest);
  const what = file === dest || file === undefined ? "it is" : `${quotePath(file)} is`;
  return new BurrowError(
    "CONFLICT",
    `Cannot restore into ${quotePath(dest)}: ${what} a file; ` +
      "give a folder, or a name ending in .zip or .tar",
  );
}

/** The shortest leading part of `path` that is not a folder, if any. */
function firstFile(path: string): string | undefined {
  const parts = path.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join("/");
    if (prefix === "") continue;
    try {
      if (!Deno.statSync(prefix).isDirectory) return prefix;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
