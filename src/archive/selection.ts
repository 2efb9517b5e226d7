/**
 * What a push takes from its tree: gitignore-style exclude patterns (matched by the `ignore`
 * package, case-sensitively for `--exclude` and `--exclude-file`, without regard to case for
 * `--iexclude`), folders marked as caches by a valid `CACHEDIR.TAG`, files over a size, entries on
 * other file systems than the root's, and, with `--files-from`, only the listed paths (with what
 * is under them, and the folders that lead to them).
 *
 * Invariants: paths are relative to the push's root, "/"-separated; a folder left out is never
 * walked into, so nothing under it is taken; the root itself is always taken; every entry left out
 * is counted.
 *
 * @module
 */
import ignore, { type Ignore } from "ignore";
import type { EntryStatus } from "../fs_times.ts";

/** The rules of a selection; an empty list or null turns a rule off. */
export interface SelectionRules {
  /** gitignore patterns matched with case (`--exclude`, the lines of `--exclude-file`). */
  exclude: readonly string[];
  /** gitignore patterns matched without regard to case (`--iexclude`). */
  iexclude: readonly string[];
  /** Leave out folders that hold a valid `CACHEDIR.TAG` (`--exclude-caches`). */
  excludeCaches: boolean;
  /** Leave out files larger than this many bytes (`--exclude-larger-than`). */
  excludeLargerThan: number | null;
  /** Leave out what lies on another file system than the root (`--one-file-system`). */
  oneFileSystem: boolean;
  /** Take only these paths (relative to the root) and what is under them (`--files-from`). */
  only: readonly string[] | null;
}

/** The rules that take everything. */
export const TAKE_EVERYTHING: SelectionRules = {
  exclude: [],
  iexclude: [],
  excludeCaches: false,
  excludeLargerThan: null,
  oneFileSystem: false,
  only: null,
};

/** The first bytes of a valid `CACHEDIR.TAG` (https://bford.info/cachedir/). */
const CACHEDIR_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55";

/** Decides, entry by entry, what a walk takes; counts what it leaves out. */
export class Selection {
  readonly #rules: SelectionRules;
  readonly #exact: Ignore | null;
  readonly #folded: Ignore | null;
  #rootDevice: number | null = null;
  /** Entries left out so far (a folder counts once, whatever it holds). */
  excluded = 0;

  constructor(rules: SelectionRules) {
    this.#rules = rules;
    this.#exact = rules.exclude.length > 0
      ? ignore({ ignorecase: false }).add([...rules.exclude])
      : null;
    this.#folded = rules.iexclude.length > 0
      ? ignore({ ignorecase: true }).add([...rules.iexclude])
      : null;
  }

  /** Notes the root's status: `--one-file-system` compares every entry's device with it. */
  begin(root: EntryStatus): void {
    this.#rootDevice = root.device;
  }

  /**
   * Whether the walk takes the entry at `path` (relative to the root), whose status is `info`
   * and which lives at `absolute` on disk; counts it when not.
   */
  takes(path: string, info: EntryStatus, absolute: string): boolean {
    if (this.#leavesOut(path, info, absolute)) {
      this.excluded++;
      return false;
    }
    return true;
  }

  #leavesOut(path: string, info: EntryStatus, absolute: string): boolean {
    const rules = this.#rules;
    const folder = info.isDirectory;
    if (rules.only !== null && !rules.only.some((listed) => related(path, listed))) return true;
    const subject = folder ? `${path}/` : path;
    if (this.#exact?.ignores(subject) === true || this.#folded?.ignores(subject) === true) {
      return true;
    }
    if (
      rules.oneFileSystem && this.#rootDevice !== null && info.device !== this.#rootDevice
    ) {
      return true;
    }
    if (info.isFile && rules.excludeLargerThan !== null && info.size > rules.excludeLargerThan) {
      return true;
    }
    return folder && rules.excludeCaches && isCacheFolder(absolute);
  }
}

/** Whether `path` is `listed`, lies under it, or is a folder on the way to it. */
function related(path: string, listed: string): boolean {
  return path === listed || path.startsWith(`${listed}/`) || listed.startsWith(`${path}/`);
}

/** Whether `folder` holds a `CACHEDIR.TAG` that starts with the standard signature. */
function isCacheFolder(folder: string): boolean {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(`${folder}/CACHEDIR.TAG`);
  } catch {
    return false;
  }
  try {
    const head = new Uint8Array(CACHEDIR_SIGNATURE.length);
    let filled = 0;
    while (filled < head.length) {
      const n = file.readSync(head.subarray(filled));
      if (n === null || n === 0) break;
      filled += n;
    }
    return new TextDecoder().decode(head.subarray(0, filled)) === CACHEDIR_SIGNATURE;
  } catch {
    return false;
  } finally {
    file.close();
  }
}
