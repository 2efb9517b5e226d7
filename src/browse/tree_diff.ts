/**
 * What changed between two snapshots' trees (`burrow diff`), as restic's diff shows it: paths
 * added (`+`), removed (`-`), modified (`M`: content, mode, owner, link target or device numbers)
 * and changed in type (`T`), in path order, with counts and byte totals. Content is compared by
 * chunk ids and size, never by reading data; a change of mtime alone is not a modification, nor
 * is an owner recorded on one side only (older snapshots recorded none).
 *
 * Byte totals count whole files: a file added, or whose content changed, adds its size in the
 * second snapshot to `bytesAdded`; a file removed, or whose content changed, adds its size in
 * the first to `bytesRemoved`. A hard link counts as a file, its bytes with the file it links to.
 *
 * @module
 */
import type { EntryType, TreeEntry } from "../format/snapshot_model.ts";

/** What changed at one path: `+` added, `-` removed, `M` modified, `T` type changed. */
export type DiffMarker = "+" | "-" | "M" | "T";

/** What about a modified entry changed. */
export type DiffAspect = "content" | "mode" | "owner" | "target" | "device";

/** One changed path. */
export interface DiffChange {
  marker: DiffMarker;
  path: string;
  /** The entry's type in the second snapshot (the first for a removal). */
  type: EntryType;
  /** For `M`: what changed. */
  changed: DiffAspect[];
}

/** Entries counted by type (hard links among files). */
export interface TypeCounts {
  files: number;
  dirs: number;
  symlinks: number;
  /** Fifos, sockets and devices. */
  special: number;
}

/** Counts and bytes of a diff (see the module rule for bytes). */
export interface DiffTotals {
  added: TypeCounts;
  removed: TypeCounts;
  /** Paths marked `M`. */
  modified: number;
  /** Paths marked `T`. */
  typeChanged: number;
  bytesAdded: number;
  bytesRemoved: number;
}

/** The changes from `before` to `after`, in path order, and their totals. */
export interface TreeDiff {
  changes: DiffChange[];
  totals: DiffTotals;
}

function emptyCounts(): TypeCounts {
  return { files: 0, dirs: 0, symlinks: 0, special: 0 };
}

function count(counts: TypeCounts, type: EntryType): void {
  const field = type === "file" || type === "hardlink"
    ? "files"
    : type === "dir"
    ? "dirs"
    : type === "symlink"
    ? "symlinks"
    : "special";
  counts[field]++;
}

function sameChunks(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  }
  return true;
}

/** What differs between two entries of one type at one path. */
function aspects(a: TreeEntry, b: TreeEntry): DiffAspect[] {
  const changed: DiffAspect[] = [];
  if (a.size !== b.size || !sameChunks(a.chunks, b.chunks)) changed.push("content");
  if (a.mode !== b.mode) changed.push("mode");
  const [x, y] = [a.owner, b.owner];
  if (x !== undefined && y !== undefined && (x.uid !== y.uid || x.gid !== y.gid)) {
    changed.push("owner");
  }
  if (a.target !== b.target) changed.push("target");
  const [m, n] = [a.device, b.device];
  if (m?.major !== n?.major || m?.minor !== n?.minor) changed.push("device");
  return changed;
}

/** Compares two trees' entries (paths relative to each snapshot's root). */
export function diffTrees(before: readonly TreeEntry[], after: readonly TreeEntry[]): TreeDiff {
  const old = new Map(before.map((entry) => [entry.path, entry]));
  const totals: DiffTotals = {
    added: emptyCounts(),
    removed: emptyCounts(),
    modified: 0,
    typeChanged: 0,
    bytesAdded: 0,
    bytesRemoved: 0,
  };
  const changes: DiffChange[] = [];
  const fileBytes = (entry: TreeEntry) => (entry.type === "file" ? entry.size : 0);
  for (const b of after) {
    const a = old.get(b.path);
    old.delete(b.path);
    if (a === undefined) {
      changes.push({ marker: "+", path: b.path, type: b.type, changed: [] });
      count(totals.added, b.type);
      totals.bytesAdded += fileBytes(b);
    } else if (a.type !== b.type) {
      changes.push({ marker: "T", path: b.path, type: b.type, changed: [] });
      totals.typeChanged++;
      totals.bytesAdded += fileBytes(b);
      totals.bytesRemoved += fileBytes(a);
    } else {
      const changed = aspects(a, b);
      if (changed.length === 0) continue;
      changes.push({ marker: "M", path: b.path, type: b.type, changed });
      totals.modified++;
      if (changed.includes("content")) {
        totals.bytesAdded += fileBytes(b);
        totals.bytesRemoved += fileBytes(a);
      }
    }
  }
  for (const a of old.values()) {
    changes.push({ marker: "-", path: a.path, type: a.type, changed: [] });
    count(totals.removed, a.type);
    totals.bytesRemoved += fileBytes(a);
  }
  changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return { changes, totals };
}
