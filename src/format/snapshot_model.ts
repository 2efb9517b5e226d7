/**
 * The snapshot model: what a backup records about each file, folder, symlink, hard link, fifo,
 * socket and device, and the snapshot record that names a tree. Entries are stored in a manifest (see `manifest_codec.ts`)
 * that is itself chunked, sealed and stored like file data; the snapshot record is sealed too, so
 * the server sees neither names nor sizes of single files.
 *
 * Paths are relative to the snapshot root, `/`-separated, never empty, never absolute, with no
 * `.` or `..` component and no NUL; a manifest lists a folder before anything inside it, and a
 * file before every hard link to it.
 *
 * @module
 */

/**
 * Kinds of entries a tree holds. A `hardlink` is a further path of a regular file whose first
 * path in the tree is an earlier `file` entry (its `target`); `fifo`, `socket`, `chardev` and
 * `blockdev` are special files, recorded but never read.
 */
export type EntryType =
  | "file"
  | "dir"
  | "symlink"
  | "hardlink"
  | "fifo"
  | "socket"
  | "chardev"
  | "blockdev";

/** Who owned an entry on the machine that pushed it. */
export interface EntryOwner {
  uid: number;
  gid: number;
  /** The name of `uid` there ("" when it had none). */
  user: string;
  /** The name of `gid` there ("" when it had none). */
  group: string;
}

/** A character or block device's major and minor numbers. */
export interface DeviceNumbers {
  major: number;
  minor: number;
}

/** One entry (file, folder, symlink, hard link or special file) in a snapshot. */
export interface TreeEntry {
  /** Path relative to the snapshot root (see the module rules). */
  path: string;
  type: EntryType;
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
  /** Modification time in nanoseconds since the epoch. */
  mtimeNs: bigint;
  /** Bytes of a file's content (a hard link: its target's); 0 for the other types. */
  size: number;
  /** Inode number at backup time (0 when unknown): part of the unchanged-file test. */
  inode: number;
  /**
   * A file's chunk ids (32 bytes each), in order (a hard link: its target's); empty for an empty
   * file and for the other types.
   */
  chunks: Uint8Array[];
  /**
   * A symlink's target, stored as is and never followed; a hard link's target, the path in this
   * tree of the earlier file entry it is a further name of; "" for others.
   */
  target: string;
  /** Who owned it; absent where it was not recorded (manifests before version 3, a stream). */
  owner?: EntryOwner;
  /** A `chardev` or `blockdev` entry's numbers; absent for every other type. */
  device?: DeviceNumbers;
}

/** Counts and sizes a push reports and a snapshot keeps. */
export interface SnapshotSummary {
  files: number;
  dirs: number;
  symlinks: number;
  /** Bytes of file content in the tree. */
  bytes: number;
  filesNew: number;
  filesChanged: number;
  filesUnchanged: number;
  filesRemoved: number;
  /** Bytes read from disk by this push (unchanged files and holes of sparse files are not read). */
  bytesRead: number;
  /** Bytes of sealed blobs sent to the server. */
  bytesSent: number;
  /** Bytes the server stored for this push after deduplication. */
  bytesStored: number;
  /** Files that vanished or could not be read during the walk. */
  warnings: number;
}

/** The sealed record of one snapshot, as the client writes and reads it. */
export interface SnapshotRecord {
  /** Format version of this record (2 since times are kept in nanoseconds). */
  version: 2;
  /** 16 lowercase hex characters, random. */
  id: string;
  /** Set name (see `validateSetName`). */
  set: string;
  /** ISO 8601 UTC time the push started. */
  time: string;
  /** Host name of the machine that pushed. */
  host: string;
  /** Absolute path that was backed up, as given on that host. */
  source: string;
  /** Whether the root was a single file or a folder; either is restored as DEST/NAME. */
  rootType: "file" | "dir";
  /** The pushed folder's own permission bits (0 for a file root: its entry has them). */
  rootMode: number;
  /** The pushed folder's own modification time in nanoseconds (0 for a file root). */
  rootMtimeNs: bigint;
  /** The pushed folder's owner (absent for a file root, and in records of older versions). */
  rootOwner?: EntryOwner;
  /** The previous snapshot of the set this one was based on, if any. */
  parent: string | null;
  /** Chunk ids (hex) of the encoded manifest, in order. */
  manifest: string[];
  summary: SnapshotSummary;
}

/** Milliseconds since the epoch of a time in nanoseconds, rounded down (toward minus infinity). */
export function nsToMs(ns: bigint): number {
  const ms = ns / 1_000_000n;
  return Number(ns < 0n && ns % 1_000_000n !== 0n ? ms - 1n : ms);
}
