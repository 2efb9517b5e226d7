/**
 * How the web page and the command line (`ls --long`, `find`) show an entry's fields: `ls -l`
 * style modes and owners, sizes in binary units (a device's numbers), times in the one format the
 * command line uses, and what a link points to.
 *
 * @module
 */
import { formatBytes } from "../display.ts";
import { type EntryType, nsToMs, type TreeEntry } from "../format/snapshot_model.ts";

/** Each entry type in words, as listings and messages name it. */
const KIND_NAMES: Readonly<Record<EntryType, string>> = {
  file: "file",
  dir: "folder",
  symlink: "symlink",
  hardlink: "hard link",
  fifo: "fifo",
  socket: "socket",
  chardev: "character device",
  blockdev: "block device",
};

/** The `ls -l` type character of each entry type (a hard link is a regular file). */
const KIND_CHARS: Readonly<Record<EntryType, string>> = {
  file: "-",
  dir: "d",
  symlink: "l",
  hardlink: "-",
  fifo: "p",
  socket: "s",
  chardev: "c",
  blockdev: "b",
};

/** An entry type in words, e.g. "character device". */
export function kindName(type: EntryType): string {
  return KIND_NAMES[type];
}

/** Whether entries of `type` hold a file's content (files and hard links). */
export function isFileLike(type: EntryType): boolean {
  return type === "file" || type === "hardlink";
}

/** The last component of a snapshot path. */
export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** An entry's type and permission bits as `ls -l` shows them, e.g. "drwxr-xr-x". */
export function modeText(entry: Pick<TreeEntry, "type" | "mode">): string {
  const kind = KIND_CHARS[entry.type] ?? "?";
  const m = entry.mode;
  const bit = (mask: number, char: string) => (m & mask ? char : "-");
  const exec = (x: number, special: number, on: string, off: string) =>
    m & special ? (m & x ? on : off) : bit(x, "x");
  return kind + bit(0o400, "r") + bit(0o200, "w") + exec(0o100, 0o4000, "s", "S") +
    bit(0o040, "r") + bit(0o020, "w") + exec(0o010, 0o2000, "s", "S") +
    bit(0o004, "r") + bit(0o002, "w") + exec(0o001, 0o1000, "t", "T");
}

/** A modification time in nanoseconds as "2026-12-07 00:13:15Z" (UTC, to the second). */
export function mtimeText(mtimeNs: bigint): string {
  const ms = nsToMs(mtimeNs);
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return "—";
  return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** A file's size for a listing, a device's numbers ("1, 3"); the others show none. */
export function sizeText(entry: Pick<TreeEntry, "type" | "size" | "device">): string {
  if (entry.device !== undefined) return `${entry.device.major}, ${entry.device.minor}`;
  return isFileLike(entry.type) ? formatBytes(entry.size) : "";
}

/** An owner as `user/group`, each a number where no name was recorded; "-" when none was. */
export function ownerText(entry: Pick<TreeEntry, "owner">): string {
  const owner = entry.owner;
  if (owner === undefined) return "-";
  return `${owner.user || owner.uid}/${owner.group || owner.gid}`;
}

/** A path with what a link points to: `a -> b` for a symlink, `a (hard link to b)`. */
export function pathText(entry: Pick<TreeEntry, "type" | "path" | "target">): string {
  if (entry.type === "symlink") return `${entry.path} -> ${entry.target}`;
  if (entry.type === "hardlink") return `${entry.path} (hard link to ${entry.target})`;
  return entry.path;
}
