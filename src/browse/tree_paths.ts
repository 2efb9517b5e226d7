/**
 * Finding paths in a snapshot's tree: the entries of a folder (`ls`), one entry (`cat`), and the
 * entries a partial pull restores (`pull --path`). Paths are relative to the snapshot root, as
 * `burrow ls` prints them; "" is the root. Entries come in manifest order, which lists a folder
 * before anything inside it, and every function keeps that order.
 *
 * @module
 */
import { NotFoundError, UsageError } from "../errors.ts";
import type { PathBytesFilter } from "../format/manifest_codec.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";

/**
 * A path as a user typed it, in the form entries carry: leading, trailing and doubled `/` and
 * `.` components dropped; "" (or "/" or ".") for the root.
 *
 * @throws {UsageError} for a `..` component or a NUL
 */
export function snapshotPath(typed: string): string {
  if (typed.includes("\0")) throw new UsageError(`Invalid path ${JSON.stringify(typed)}`);
  const parts = typed.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) {
    throw new UsageError(`Invalid path ${JSON.stringify(typed)}: it has a ".." component`);
  }
  return parts.join("/");
}

/** Whether `path` is `folder` itself or lies inside it ("" holds everything). */
export function isWithin(path: string, folder: string): boolean {
  return folder === "" || path === folder || path.startsWith(`${folder}/`);
}

/** The entry at `path`, or undefined (the root "" has no entry). */
export function findEntry(entries: readonly TreeEntry[], path: string): TreeEntry | undefined {
  return path === "" ? undefined : entries.find((entry) => entry.path === path);
}

/**
 * What `ls` shows for `path`: a folder's entries (all below it when `recursive`, else its
 * children), or a file's or symlink's own entry.
 *
 * @throws {NotFoundError} when the snapshot has no such path
 */
export function listPath(
  entries: readonly TreeEntry[],
  path: string,
  recursive: boolean,
): TreeEntry[] {
  const self = findEntry(entries, path);
  if (path !== "" && self === undefined) throw notInSnapshot(path);
  if (self !== undefined && self.type !== "dir") return [self];
  const prefix = path === "" ? "" : `${path}/`;
  return entries.filter((entry) =>
    entry.path.startsWith(prefix) && entry.path !== path &&
    (recursive || !entry.path.includes("/", prefix.length))
  );
}

/**
 * The entries a restore of `paths` needs, in manifest order: each path's entry, everything
 * below a folder path, and the folders that lead to them (so each entry's folder comes before
 * it). A root path ("") keeps everything.
 *
 * @throws {NotFoundError} naming the first path the snapshot does not hold
 */
export function selectPaths(entries: readonly TreeEntry[], paths: readonly string[]): TreeEntry[] {
  if (paths.includes("")) return [...entries];
  const wanted = new Set(paths);
  const inside = paths.map((path) => `${path}/`);
  const leading = new Set<string>();
  for (const path of paths) {
    for (let cut = path.indexOf("/"); cut >= 0; cut = path.indexOf("/", cut + 1)) {
      leading.add(path.slice(0, cut));
    }
  }
  const found = new Set<string>();
  const selected: TreeEntry[] = [];
  for (const entry of entries) {
    const path = entry.path;
    if (wanted.has(path)) found.add(path);
    else if (!leading.has(path) && !inside.some((prefix) => path.startsWith(prefix))) continue;
    selected.push(entry);
  }
  const missing = paths.find((path) => !found.has(path));
  if (missing !== undefined) throw notInSnapshot(missing);
  return selected;
}

/**
 * The manifest decoder's filter for the entries `selectPaths(entries, paths)` keeps, on paths'
 * UTF-8 bytes: so a decoder can skip every other record without making its entry. `paths` must
 * not hold the root ("").
 */
export function selectedPathBytes(paths: readonly string[]): PathBytesFilter {
  const utf8 = new TextEncoder();
  const wanted = paths.map((path) => utf8.encode(path));
  return (buffer, from, to) => wanted.some((path) => related(buffer, from, to, path));
}

/**
 * Whether the path `buffer[from, to)` is `path`, lies inside it, or is a folder leading to it,
 * compared byte by byte: either one is the other or a prefix of it that ends at a `/`.
 */
function related(buffer: Uint8Array, from: number, to: number, path: Uint8Array): boolean {
  const length = to - from;
  const common = Math.min(length, path.length);
  for (let i = 0; i < common; i++) if (buffer[from + i] !== path[i]) return false;
  if (length === path.length) return true;
  return length > path.length ? buffer[from + common] === SLASH : path[common] === SLASH;
}

/** The byte of `/` in UTF-8. */
const SLASH = 0x2f;

function notInSnapshot(path: string): NotFoundError {
  return new NotFoundError(`Cannot find ${JSON.stringify(path)} in the snapshot`);
}
