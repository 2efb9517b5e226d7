/**
 * Checks entries from an untrusted manifest before anything is written for them: a valid
 * relative path, valid fields, each path once, and a parent that is a folder restored earlier in
 * the same run. A parent that is a symlink (even one this run created) is refused, so no write
 * ever goes through a link; nor does one go through a file or a folder the manifest did not list.
 *
 * @module
 */
import { IntegrityError } from "../errors.ts";
import { quoteName } from "../names.ts";
import { entryPathProblem, validateEntry } from "../format/manifest_codec.ts";
import type { EntryType, TreeEntry } from "../format/snapshot_model.ts";

/** The name used in messages for the restore target. */
const DEST = "DEST";

/** A bounded, escaped rendering of an entry path for messages. */
export function quotePath(path: string): string {
  return path.length <= 200 ? JSON.stringify(path) : quoteName(path);
}

/** Whether `path` is absolute or climbs with `..` (the ways a path itself leaves DEST). */
function climbs(path: string): boolean {
  return path.startsWith("/") || path.split("/").includes("..");
}

/**
 * Accepts a relative path that stays where it is put (no `..`, no absolute, empty or invalid
 * part); says nothing of its parents.
 *
 * @throws {IntegrityError} "Cannot restore "PATH": …"
 */
export function checkEntryPath(path: string): void {
  const problem = entryPathProblem(path);
  if (problem !== undefined) {
    throw new IntegrityError(
      `Cannot restore ${quoteName(path)}: ${climbs(path) ? `it would leave ${DEST}` : problem}`,
    );
  }
}

/** Tracks the entries of one restore or export and refuses unsafe ones. */
export class EntryGuard {
  readonly #types = new Map<string, EntryType>();

  /**
   * Accepts `entry` or explains why it cannot be restored.
   *
   * @throws {IntegrityError} "Cannot restore "PATH": …"
   */
  check(entry: TreeEntry): void {
    const path = this.validate(entry);
    if (this.#types.has(path)) {
      throw new IntegrityError(`Cannot restore ${quotePath(path)}: it appears twice`);
    }
    this.#checkParent(path);
    this.#types.set(path, entry.type);
  }

  /**
   * Checks `entry` on its own (its path and fields, not its place in the tree) and returns its
   * path.
   *
   * @throws {IntegrityError} "Cannot restore "PATH": …"
   */
  validate(entry: TreeEntry): string {
    const path = typeof entry.path === "string" ? entry.path : String(entry.path);
    checkEntryPath(path);
    try {
      validateEntry(entry);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new IntegrityError(`Cannot restore ${quotePath(path)}: ${reason}`, { cause: error });
    }
    return path;
  }

  /** The type of the entry accepted at `path`, if any. */
  typeOf(path: string): EntryType | undefined {
    return this.#types.get(path);
  }

  #checkParent(path: string): void {
    const slash = path.lastIndexOf("/");
    if (slash < 0) return;
    const parent = path.slice(0, slash);
    const type = this.#types.get(parent);
    if (type === "dir") return;
    const reason = type === "symlink"
      ? `it would leave ${DEST}`
      : type === "file"
      ? `its parent ${quotePath(parent)} is a file`
      : `its folder ${quotePath(parent)} does not come before it`;
    throw new IntegrityError(`Cannot restore ${quotePath(path)}: ${reason}`);
  }
}
