/**
 * How the web page and the command line (`ls --long`, `find`) show an entry's fields: `ls -l`
 * style modes, sizes in binary units, times in the one format the command line uses.
 *
 * @module
 */
import { formatBytes } from "../display.ts";
import { nsToMs, type TreeEntry } from "../format/snapshot_model.ts";

/** The last component of a snapshot path. */
export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** An entry's type and permission bits as `ls -l` shows them, e.g. "drwxr-xr-x". */
export function modeText(entry: Pick<TreeEntry, "type" | "mode">): string {
  const kind = entry.type === "dir" ? "d" : entry.type === "symlink" ? "l" : "-";
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

/** A file's size for a listing; folders and symlinks show none. */
export function sizeText(entry: Pick<TreeEntry, "type" | "size">): string {
  return entry.type === "file" ? formatBytes(entry.size) : "";
}
