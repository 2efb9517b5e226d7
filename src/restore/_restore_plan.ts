/**
 * Decides, entry by entry and ahead of the writers, what a restore into a folder that may hold
 * files already does with each entry: create it, overwrite what is in its place, or skip it;
 * and, with `delete`, which entries of the restored folders the snapshot does not have. The
 * restorer writes only the entries the plan lets through, so the tree reader never asks for the
 * chunks of a skipped file.
 *
 * Invariants: what exists is only ever looked at with `lstat` (a symlink is never followed), and
 * only under a folder this plan found to be a real folder, so no look goes through a symlink;
 * nothing under a folder the restore creates is looked at (a restore into a new folder costs no
 * system call per entry); a path is checked (no `..`, no empty or absolute part) before it is
 * looked at; without an overwrite mode, anything in the way of the first entry it meets stops
 * the restore before a byte is written; deletions stay inside the restored folders (never DEST
 * itself, never through a symlink: a symlink is removed, not what it points to).
 *
 * @module
 */
import { BurrowError } from "../errors.ts";
import { type EntryStatus, lstatEntry } from "../fs_times.ts";
import type { EntryType, TreeEntry } from "../format/snapshot_model.ts";
import { checkEntryPath, EntryGuard, quotePath } from "./_entry_guard.ts";

/**
 * What a restore does with an entry whose path is taken already (restic's `restore --overwrite`):
 * `always` replaces it; `if-changed` replaces it unless it is a file of the same size, mtime and
 * mode, or a symlink to the same target; `if-newer` replaces it when the snapshot's entry has the
 * later mtime; `never` keeps it. A real folder where the snapshot has a folder is always kept
 * and restored into; it gets the snapshot's mode and mtime, except with `never`.
 */
export type OverwriteMode = "always" | "if-changed" | "if-newer" | "never";

/** Every overwrite mode, in the order help texts list them. */
export const OVERWRITE_MODES: readonly OverwriteMode[] = [
  "always",
  "if-changed",
  "if-newer",
  "never",
];

/** What a restore does (or, in a dry run, would do) at one path. */
export type PlanAction = "create" | "overwrite" | "skip" | "delete";

/** One decision of the plan: the action, the path (relative to DEST), its type and why. */
export interface PlanEvent {
  action: PlanAction;
  path: string;
  type: EntryType;
  /** Why an entry is skipped. */
  reason?: string;
}

/** How many entries the plan created, overwrote, skipped, deleted, and left out for a conflict. */
export interface PlanCounts {
  created: number;
  overwritten: number;
  /** Entries left as they are, entries under them included. */
  skipped: number;
  /** Entries removed by `delete` (a folder counts once). */
  deleted: number;
  /** Entries not restored because a folder that is not empty is in their place (no `delete`). */
  conflicts: number;
}

/** Options of a plan. */
export interface PlanOptions {
  /** What to do with what is in the way; undefined: refuse a destination that is not empty. */
  overwrite?: OverwriteMode | undefined;
  /** Remove what the restored folders hold that the snapshot does not. */
  delete?: boolean | undefined;
  /** Check every entry with `EntryGuard` (a dry run, where no tree reader does). */
  guardAll?: boolean;
  /** Called for each decision other than keeping a folder, in tree order (deletions last). */
  onPlan?(event: PlanEvent): void;
  /** Called for each entry left out for a conflict. */
  onWarning?(path: string, reason: string): void;
}

/** How a folder of the tree stands: made by this restore, found there, or not restored. */
const FRESH = 0;
const EXISTING = 1;
const SKIPPED = 2;
/** DEST, found there: its entries are looked at, but it is not cleaned by `delete`. */
const ROOT = 3;
type FolderState = typeof FRESH | typeof EXISTING | typeof SKIPPED | typeof ROOT;

const IN_THE_WAY = "a folder that is not empty is in its place; --delete replaces it";

/** The plan of one restore (see the module comment). */
export class RestorePlan {
  /** What was decided so far. */
  readonly counts: PlanCounts = {
    created: 0,
    overwritten: 0,
    skipped: 0,
    deleted: 0,
    conflicts: 0,
  };
  readonly #root: string;
  readonly #label: string;
  readonly #rootState: FolderState;
  readonly #options: PlanOptions;
  readonly #guard: EntryGuard | undefined;
  readonly #folders = new Map<string, FolderState>();
  /** With `delete`: the names the snapshot has in each folder found there. */
  readonly #kept = new Map<string, Set<string>>();
  /** Paths where a folder must be removed before the entry is written. */
  readonly #clear = new Set<string>();

  /**
   * @param root DEST as a resolved path (or as given, when it does not exist)
   * @param label DEST as the user gave it, for messages
   * @param rootIsNew DEST did not exist: nothing under it is looked at
   */
  constructor(root: string, label: string, rootIsNew: boolean, options: PlanOptions = {}) {
    this.#root = root;
    this.#label = label.replace(/\/+$/, "") || "/";
    this.#rootState = rootIsNew ? FRESH : ROOT;
    this.#options = options;
    this.#guard = options.guardAll ? new EntryGuard() : undefined;
  }

  /** The entries to write, in order: the skipped ones (and what is under them) are left out. */
  *filter(entries: Iterable<TreeEntry>): Generator<TreeEntry> {
    for (const entry of entries) if (this.#decide(entry)) yield entry;
  }

  /** Whether the folder entry at `path` is one found there that keeps its own mode and mtime. */
  keepsFolder(path: string): boolean {
    return this.#options.overwrite === "never" && this.#folders.get(path) === EXISTING;
  }

  /** Whether a folder is to be removed at `path` before its entry is written (asked once). */
  mustClear(path: string): boolean {
    return this.#clear.size > 0 && this.#clear.delete(path);
  }

  /**
   * With `delete`, removes (or, when `dryRun`, only reports) every entry of a restored folder
   * that was there and is not in the snapshot. Call it once the whole tree went through `filter`
   * and the files are written.
   */
  removeExtra(dryRun: boolean): void {
    for (const [folder, names] of this.#kept) {
      const path = `${this.#root}/${folder}`;
      if (!lstatOrNull(path)?.isDirectory) continue; // replaced meanwhile: never follow it
      for (const item of Deno.readDirSync(path)) {
        if (names.has(item.name)) continue;
        const type = item.isDirectory ? "dir" : item.isSymlink ? "symlink" : "file";
        this.counts.deleted++;
        this.#options.onPlan?.({ action: "delete", path: `${folder}/${item.name}`, type });
        if (!dryRun) Deno.removeSync(`${path}/${item.name}`, { recursive: item.isDirectory });
      }
    }
  }

  /** Decides `entry`; true when it is to be written. */
  #decide(entry: TreeEntry): boolean {
    this.#guard?.check(entry);
    if (entry.type === "socket") return true; // never recreated: nothing to decide
    const path = entry.path;
    const slash = path.lastIndexOf("/");
    const parent = slash < 0 ? this.#rootState : this.#folders.get(path.slice(0, slash));
    // A parent that is not a folder entry seen before: the tree reader's guard refuses it.
    if (parent === undefined) return true;
    if (parent === SKIPPED) {
      if (entry.type === "dir") this.#folders.set(path, SKIPPED);
      this.counts.skipped++;
      return false;
    }
    if (parent === FRESH) return this.#create(entry);
    checkEntryPath(path);
    if (parent === EXISTING) this.#kept.get(path.slice(0, slash))?.add(path.slice(slash + 1));
    const where = `${this.#root}/${path}`;
    const found = lstatOrNull(where);
    if (found === null) return this.#create(entry);
    if (this.#options.overwrite === undefined) return this.#refuseOrEnter(entry, where, found);
    if (entry.type === "dir") return this.#decideFolder(entry, where, found);
    const reason = this.#keepReason(entry, where, found);
    if (reason !== undefined) return this.#skip(entry, reason);
    if (found.isDirectory) {
      if (!this.#options.delete && !isEmpty(where)) {
        this.counts.conflicts++;
        this.#options.onWarning?.(path, IN_THE_WAY);
        return this.#skip(entry, IN_THE_WAY);
      }
      this.#clear.add(path);
    }
    return this.#note("overwrite", entry);
  }

  #create(entry: TreeEntry): boolean {
    if (entry.type === "dir") this.#folders.set(entry.path, FRESH);
    return this.#note("create", entry);
  }

  #decideFolder(entry: TreeEntry, where: string, found: EntryStatus): boolean {
    if (found.isDirectory) {
      this.#folders.set(entry.path, EXISTING);
      if (this.#options.delete) this.#kept.set(entry.path, new Set());
      return true; // kept and restored into: not a change of its own
    }
    const reason = this.#keepReason(entry, where, found);
    if (reason !== undefined) {
      this.#folders.set(entry.path, SKIPPED);
      return this.#skip(entry, reason);
    }
    this.#folders.set(entry.path, FRESH); // what was in the way goes, and the folder is new
    return this.#note("overwrite", entry);
  }

  /**
   * Without an overwrite mode, only an empty folder where the snapshot has a folder may be in
   * the way. @throws {BurrowError} CONFLICT for anything else
   */
  #refuseOrEnter(entry: TreeEntry, where: string, found: EntryStatus): boolean {
    if (entry.type === "dir" && found.isDirectory && isEmpty(where)) {
      this.#folders.set(entry.path, FRESH);
      return true;
    }
    const state = found.isDirectory ? "the folder is not empty" : "it exists";
    throw new BurrowError(
      "CONFLICT",
      `Cannot restore into ${quotePath(`${this.#label}/${entry.path}`)}: ${state}; ` +
        "choose what happens to what is there with --overwrite always|if-changed|if-newer|never " +
        "(--dry-run shows what would change), or give another DEST",
    );
  }

  /** Why the overwrite mode keeps what is at `where`, or undefined when it is replaced. */
  #keepReason(entry: TreeEntry, where: string, found: EntryStatus): string | undefined {
    switch (this.#options.overwrite) {
      case "never":
        return "it exists";
      case "if-newer":
        return entry.mtimeNs > found.mtimeNs ? undefined : "what is there is as new or newer";
      case "if-changed":
        return sameAs(entry, where, found) ? "unchanged" : undefined;
      default:
        return undefined;
    }
  }

  #skip(entry: TreeEntry, reason: string): false {
    this.counts.skipped++;
    this.#options.onPlan?.({ action: "skip", path: entry.path, type: entry.type, reason });
    return false;
  }

  #note(action: "create" | "overwrite", entry: TreeEntry): true {
    this.counts[action === "create" ? "created" : "overwritten"]++;
    this.#options.onPlan?.({ action, path: entry.path, type: entry.type });
    return true;
  }
}

/** What `lstat` calls each special entry type. */
const SPECIAL_KINDS: Partial<Record<EntryType, EntryStatus["special"]>> = {
  fifo: "fifo",
  chardev: "character device",
  blockdev: "block device",
};

/** Whether what is at `where` is the snapshot's entry already (`if-changed`). */
function sameAs(entry: TreeEntry, where: string, found: EntryStatus): boolean {
  if (entry.type === "file" || entry.type === "hardlink") {
    return found.isFile && found.size === entry.size && found.mtimeNs === entry.mtimeNs &&
      found.mode === entry.mode;
  }
  const kind = SPECIAL_KINDS[entry.type];
  if (kind !== undefined) {
    return found.special === kind && found.mode === entry.mode &&
      found.rdev.major === (entry.device?.major ?? 0) &&
      found.rdev.minor === (entry.device?.minor ?? 0);
  }
  return entry.type === "symlink" && found.isSymlink && Deno.readLinkSync(where) === entry.target;
}

/** `lstat` of `path`, or null when nothing is there. */
function lstatOrNull(path: string): EntryStatus | null {
  try {
    return lstatEntry(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

function isEmpty(folder: string): boolean {
  for (const _ of Deno.readDirSync(folder)) return false;
  return true;
}
