/**
 * The archiver's bookkeeping: which files are new, changed or unchanged against the parent
 * snapshot, and the summary of a finished archive.
 *
 * @module
 */

import type { SnapshotSummary, TreeEntry } from "../format/snapshot_model.ts";

/** How a file compares with the parent snapshot. */
export type FileStatus = "new" | "changed" | "unchanged";

/**
 * Compares a walked file (or hard link) with its entry in the parent snapshot: unchanged when
 * that entry is of the same type, size, mtime and inode (a file's chunks are then reused without
 * reading it), and for a hard link, names the same file.
 */
export function fileStatus(entry: TreeEntry, previous: TreeEntry | undefined): FileStatus {
  if (previous === undefined) return "new";
  const same = previous.type === entry.type && previous.size === entry.size &&
    sameTime(previous.mtimeNs, entry.mtimeNs) && previous.inode === entry.inode &&
    previous.target === entry.target;
  return same ? "unchanged" : "changed";
}

/** Figures only the run itself knows. */
export interface RunFigures {
  bytesRead: number;
  bytesSent: number;
  warnings: number;
}

/**
 * The summary of an archive: counts over `entries`, file statuses (of the files kept), files
 * of the parent snapshot no longer there, and the run's figures. A hard link counts as a file
 * whose bytes are counted once, at its target; special files count in no field. `bytesStored` is
 * left 0.
 */
export function summarize(
  entries: readonly TreeEntry[],
  statuses: ReadonlyMap<string, FileStatus>,
  previous: ReadonlyMap<string, TreeEntry> | null,
  figures: RunFigures,
): SnapshotSummary {
  const summary: SnapshotSummary = {
    files: 0,
    dirs: 0,
    symlinks: 0,
    bytes: 0,
    filesNew: 0,
    filesChanged: 0,
    filesUnchanged: 0,
    filesRemoved: 0,
    bytesRead: figures.bytesRead,
    bytesSent: figures.bytesSent,
    bytesStored: 0,
    warnings: figures.warnings,
  };
  const files = new Set<string>();
  for (const entry of entries) {
    if (entry.type === "dir") summary.dirs++;
    else if (entry.type === "symlink") summary.symlinks++;
    else if (entry.type === "file" || entry.type === "hardlink") {
      summary.files++;
      if (entry.type === "file") summary.bytes += entry.size;
      files.add(entry.path);
      const status = statuses.get(entry.path) ?? "new";
      if (status === "new") summary.filesNew++;
      else if (status === "changed") summary.filesChanged++;
      else summary.filesUnchanged++;
    }
  }
  for (const entry of previous?.values() ?? []) {
    const isFile = entry.type === "file" || entry.type === "hardlink";
    if (isFile && !files.has(entry.path)) summary.filesRemoved++;
  }
  return summary;
}

/**
 * Whether a file's time matches its parent entry's. A parent read from a version 1 manifest kept
 * only milliseconds: a whole-millisecond time matches any time within that millisecond, so the
 * first push after an upgrade does not read every file again.
 */
function sameTime(previous: bigint, now: bigint): boolean {
  if (previous === now) return true;
  return previous % 1_000_000n === 0n && now - (now % 1_000_000n) === previous;
}
