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
 * does without -p: a set-id bit from a snapshot restored by root would make a program that runs
 * as whoever owns it, root included. The sticky bit is kept.
 *
 * Owners: a restore run as root gives each entry its recorded owner (`OwnerPolicy`: by name
 * where this machine knows it, else by number; `numericIds`: by number); any other user keeps
 * what it restores its own and says so once (`onNotice`). Hard links are made once every file is
 * written, each to a file this restore wrote (`readTree` hands the others out as files). Fifos
 * are made by anyone, devices only by root; one that cannot be made is left out with a warning
 * and counted (`specialsSkipped`), and the restore goes on. Sockets are never recreated.
 *
 * @module
 */
import { BurrowError } from "../errors.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { systemOwnerNames } from "../owner_names.ts";
import { quotePath } from "./_entry_guard.ts";
import { FolderWriter } from "./_folder_writer.ts";
import { OwnerPolicy } from "./_owner_policy.ts";
import { RestorePool } from "./_restore_pool.ts";
import { type FileWriters, InlineFiles } from "./_inline_files.ts";
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
  /**
   * File-writer threads to start with (default 2; a restore of a few files needs one, or none:
   * 0 writes them on this thread).
   */
  fileWriters?: number | undefined;
  /** As root: give owners by their recorded numbers, never by name. */
  numericIds?: boolean | undefined;
  /** Called once with something the user should know that is not a warning. */
  onNotice?(message: string): void;
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
  const owners = new OwnerPolicy({
    numericIds: options.numericIds ?? false,
    self: { uid: Deno.uid() ?? -1, gid: Deno.gid() ?? -1 },
    names: systemOwnerNames,
  });
  const writer = new FolderWriter(root, owners);
  if (existed) writer.sweepRoot();
  const files: FileWriters = options.fileWriters === 0
    ? new InlineFiles()
    : new RestorePool(options.fileWriters === undefined ? {} : { workers: options.fileWriters });
  const totals = emptyTotals();
  const links: TreeEntry[] = [];
  const read = { ...options, hardLinks: true };
  try {
    for await (const { entry, chunks } of readTree(plan.filter(modes), source, totals, read)) {
      if (entry.type === "dir") writer.makeFolder(entry, plan.keepsFolder(entry.path));
      else {
        if (plan.mustClear(entry.path)) writer.clear(entry);
        if (entry.type === "symlink") writer.makeSymlink(entry);
        else if (entry.type === "hardlink") links.push(entry);
        else if (entry.type !== "file") makeSpecial(writer, entry, totals, options);
        else {
          const { temp, path } = writer.fileTarget(entry);
          const owner = owners.idsFor(entry.owner);
          await files.writeFile(entry, temp, path, chunks, owner).catch((error) => {
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
  makeLinks(writer, links, totals, options);
  plan.removeExtra(false);
  writer.finishFolders(options.onWarning);
  if (owners.kept) {
    options.onNotice?.(
      `owners were not restored: not running as root, so what was restored belongs to you ` +
        `(uid ${Deno.uid()})`,
    );
  }
  return { ...totals, ...plan.counts };
}

/** How the warnings name each kind of special file. */
const SPECIAL_NAMES: Readonly<Record<string, string>> = {
  fifo: "fifo",
  chardev: "character device",
  blockdev: "block device",
};

/**
 * Makes a fifo or a device, or, when this user may not (or the system cannot), warns and counts
 * it in `specialsSkipped`.
 */
function makeSpecial(
  writer: FolderWriter,
  entry: TreeEntry,
  totals: TreeTotals,
  options: RestoreOptions,
): void {
  if (entry.type !== "fifo" && entry.type !== "chardev" && entry.type !== "blockdev") {
    throw new TypeError(`Cannot restore ${quotePath(entry.path)}: a ${entry.type} is not special`);
  }
  try {
    writer.makeSpecial({ ...entry, type: entry.type });
    totals.specials++;
  } catch (error) {
    const denied = error instanceof Deno.errors.PermissionDenied;
    if (!denied && !(error instanceof Deno.errors.NotSupported)) throw error;
    totals.specialsSkipped++;
    const name = SPECIAL_NAMES[entry.type];
    const why = denied && Deno.uid() !== 0
      ? `only root can make a ${name}`
      : (error as Error).message;
    options.onWarning?.(entry.path, `not restored: ${why}`);
  }
}

/**
 * Makes the hard links, once every file is written; a link whose file could not be restored
 * (its data was damaged) is reported as damaged too.
 */
function makeLinks(
  writer: FolderWriter,
  links: readonly TreeEntry[],
  totals: TreeTotals,
  options: RestoreOptions,
): void {
  for (const link of links) {
    try {
      writer.makeLink(link);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      totals.hardLinks--;
      totals.filesDamaged++;
      const problem = `its file ${quotePath(link.target)} could not be restored`;
      options.onDamaged?.(new DamagedFileError(link.path, undefined, problem, error));
    }
  }
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
