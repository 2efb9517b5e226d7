/**
 * The archiver's walk: sync calls on the main thread (`Deno.readDirSync`, `lstatEntry`),
 * lazily (a generator, so the archiver can hand out jobs while it walks), depth-first, names in
 * UTF-8 byte order, a folder before its contents. Every entry records its owner (uid, gid and
 * their names here). Symlinks are recorded, never followed; fifos, sockets and devices are
 * recorded as what they are (devices with their numbers) and never opened; a regular file with
 * more than one link is recognised by its (device, inode): the first path the walk meets is a
 * file, every later one a `hardlink` entry naming it, whose data is not read again. A folder or
 * entry that cannot be read is left out with a warning and the walk goes on, and so is an entry
 * whose name is not valid UTF-8: it is never stored changed (`_exact_names.ts`; Deno refuses to
 * read a symlink target that is not, so such a link cannot be read). A `Selection` may leave
 * entries out (exclude patterns and the like): silently, and never walking into a folder it left
 * out.
 *
 * @module
 */

import { basename, resolve } from "node:path";
import { NotFoundError } from "../errors.ts";
import { quoteName } from "../names.ts";
import type { EntryType, TreeEntry } from "../format/snapshot_model.ts";
import { type EntryStatus, lstatEntry, statFollowing } from "../fs_times.ts";
import { type OwnerNames, systemOwnerNames } from "../owner_names.ts";
import { Selection, TAKE_EVERYTHING } from "./selection.ts";
import { exactNames, mayBeChanged } from "./_exact_names.ts";

/** One entry found by the walk, with where it lives on disk. */
export interface WalkedEntry {
  entry: TreeEntry;
  /** Absolute path on disk. */
  source: string;
}

/** A walk under way: the root's type, and the entries, produced as they are found. */
export interface TreeWalk {
  rootType: "file" | "dir";
  /** Parents before children; file entries have no chunks yet. */
  entries: Generator<WalkedEntry, void, undefined>;
}

/** Reports an entry left out: its path relative to the root, and why. */
export type WalkWarning = (path: string, reason: string) => void;

/** What one walk keeps between entries. */
interface WalkState {
  warn: WalkWarning;
  selection: Selection;
  names: OwnerNames;
  /** The first path met of each multiply linked file, by `device:inode`. */
  linked: Map<string, string>;
}

/** The entry type of each kind of special file the walk records. */
const SPECIAL_TYPES: Readonly<Record<string, EntryType>> = {
  fifo: "fifo",
  socket: "socket",
  "character device": "chardev",
  "block device": "blockdev",
};

/**
 * Starts walking `source` (a file or folder; a symlink given as the source is followed). The
 * root is checked at once; the rest is walked as `entries` is pulled.
 *
 * @throws {NotFoundError} when the source does not exist
 * @throws {Deno.errors.PermissionDenied} and others when the source itself cannot be read
 */
export function walkTree(
  source: string,
  warn: WalkWarning,
  selection: Selection = new Selection(TAKE_EVERYTHING),
): TreeWalk {
  const root = resolve(source);
  let info: EntryStatus;
  try {
    info = statFollowing(root);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new NotFoundError(`Cannot back up ${quoteName(source)}: it does not exist`, {
        cause: error,
      });
    }
    throw error;
  }
  selection.begin(info);
  const state: WalkState = { warn, selection, names: systemOwnerNames, linked: new Map() };
  if (info.isDirectory) {
    return { rootType: "dir", entries: walkFolder(root, "", readNames(root, "", warn), state) };
  }
  return { rootType: "file", entries: walkFile(basename(root), info, root, state) };
}

/**
 * A walk of one stream read from `path` (standard input: `/dev/stdin`), stored as a file named
 * `name`, with mode 0644 and `now` as its modification time (so it is never taken as unchanged:
 * its chunks still deduplicate against what is stored). Its size is what gets read.
 */
export function walkStream(name: string, path: string, now: Date): TreeWalk {
  const entry: TreeEntry = {
    path: name,
    type: "file",
    mode: 0o644,
    mtimeNs: BigInt(now.getTime()) * 1_000_000n,
    size: 0,
    inode: 0,
    chunks: [],
    target: "",
  };
  return { rootType: "file", entries: once({ entry, source: path }) };
}

function* once(walked: WalkedEntry): Generator<WalkedEntry, void, undefined> {
  yield walked;
}

function* walkFile(
  name: string,
  info: EntryStatus,
  source: string,
  state: WalkState,
): Generator<WalkedEntry, void, undefined> {
  const entry = entryOf(name, info, source, state);
  if (entry !== undefined) yield { entry, source };
}

function* walkFolder(
  folder: string,
  prefix: string,
  names: string[],
  state: WalkState,
): Generator<WalkedEntry, void, undefined> {
  const { warn, selection } = state;
  for (const name of names) {
    const path = prefix === "" ? name : `${prefix}/${name}`;
    const source = folder.endsWith("/") ? folder + name : `${folder}/${name}`; // "/" as root
    let info: EntryStatus;
    try {
      info = lstatEntry(source);
    } catch (error) {
      warn(path, `Cannot read entry: ${reason(error)}`);
      continue;
    }
    if (!selection.takes(path, info, source)) continue;
    if (info.isDirectory) {
      let children: string[];
      try {
        children = readNames(source, path, warn);
      } catch (error) {
        warn(path, `Cannot read folder: ${reason(error)}`);
        continue;
      }
      yield { entry: baseEntry(path, "dir", info, state.names), source };
      yield* walkFolder(source, path, children, state);
      continue;
    }
    const entry = entryOf(path, info, source, state);
    if (entry !== undefined) yield { entry, source };
  }
}

/**
 * The entry for anything but a folder: a file (or a hard link to one met before), a symlink, a
 * special file; undefined (with a warning) for a symlink that cannot be read or a kind of file
 * the walk does not know. Nothing is opened.
 */
function entryOf(
  path: string,
  info: EntryStatus,
  source: string,
  state: WalkState,
): TreeEntry | undefined {
  if (info.isFile) return fileEntry(path, info, state);
  if (info.isSymlink) {
    try {
      const target = Deno.readLinkSync(source);
      return { ...baseEntry(path, "symlink", info, state.names), target };
    } catch (error) {
      state.warn(path, `Cannot read symlink: ${reason(error)}`);
      return undefined;
    }
  }
  const type = SPECIAL_TYPES[info.special ?? ""];
  if (type === undefined) {
    state.warn(path, `Cannot back up entry: it is a ${info.special ?? "special file"}, skipped`);
    return undefined;
  }
  const entry = baseEntry(path, type, info, state.names);
  if (type === "chardev" || type === "blockdev") entry.device = { ...info.rdev };
  return entry;
}

/** A file entry, or a hard link to the path this walk met its inode at first. */
function fileEntry(path: string, info: EntryStatus, state: WalkState): TreeEntry {
  const entry = { ...baseEntry(path, "file", info, state.names), size: info.size };
  if (info.links < 2) return entry;
  const key = `${info.device}:${info.inode}`;
  const first = state.linked.get(key);
  if (first === undefined) {
    state.linked.set(key, path);
    return entry;
  }
  return { ...entry, type: "hardlink", target: first };
}

function baseEntry(
  path: string,
  type: EntryType,
  info: EntryStatus,
  names: OwnerNames,
): TreeEntry {
  return {
    path,
    type,
    mode: info.mode,
    mtimeNs: info.mtimeNs,
    size: 0,
    inode: info.inode,
    chunks: [],
    target: "",
    owner: {
      uid: info.uid,
      gid: info.gid,
      user: names.userName(info.uid),
      group: names.groupName(info.gid),
    },
  };
}

/**
 * A folder's entry names in UTF-8 byte order. Names that are not valid UTF-8 are left out, each
 * with a warning naming it escaped (see `_exact_names.ts`). `prefix` is the folder's path.
 */
function readNames(folder: string, prefix: string, warn: WalkWarning): string[] {
  let names: string[] = [];
  for (const item of Deno.readDirSync(folder)) names.push(item.name);
  if (names.some(mayBeChanged)) {
    const exact = exactNames(folder, names);
    for (const name of exact.invalid.sort(compareUtf8)) {
      warn(prefix === "" ? name : `${prefix}/${name}`, NOT_UTF8);
    }
    names = exact.names;
  }
  return names.sort(compareUtf8);
}

const NOT_UTF8 = "Cannot back up entry: its name is not valid UTF-8, skipped";

/**
 * Orders strings as their UTF-8 bytes would (which is code point order). UTF-16 order differs
 * only where a surrogate (a code point above U+FFFF) meets a unit in U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates above U+E000..U+FFFF so code units compare in code point order. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

function reason(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "it no longer exists";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  return error instanceof Error ? error.message : String(error);
}
