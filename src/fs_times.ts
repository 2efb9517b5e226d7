/**
 * File status and modification times to the nanosecond. Deno's own calls carry times as a `Date`
 * (milliseconds); where the system has them (Linux), `statx(2)` and `utimensat(2)` through libc
 * give and set the whole nanoseconds. Elsewhere, or where libc cannot be loaded, Deno's calls stand
 * in, to the millisecond. A failing libc call falls back to Deno's, so errors are Deno's own
 * (`Deno.errors.NotFound`, `PermissionDenied`, …).
 *
 * @module
 */
import { lutimesSync } from "node:fs";

/** What the archiver needs to know of a file system entry. */
export interface EntryStatus {
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  /** Set for a socket, fifo or device: what kind it is. */
  special: "socket" | "fifo" | "block device" | "character device" | "special file" | undefined;
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
  size: number;
  inode: number;
  /** Modification time in nanoseconds since the epoch. */
  mtimeNs: bigint;
  /** The file system it lives on (major · 2^32 + minor): equal for entries of one mount. */
  device: number;
  /** Hard links to it (names of its inode). */
  links: number;
  uid: number;
  gid: number;
  /** What a device entry is (its major and minor numbers); 0 and 0 for others. */
  rdev: { major: number; minor: number };
}

const SYMBOLS = {
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  utimensat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
} as const;

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
/** STATX_TYPE | MODE | NLINK | UID | GID | INO | SIZE | MTIME. */
const STATX_MASK = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x100 | 0x200 | 0x40;
const NS_PER_MS = 1_000_000n;

type Symbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let symbols: Symbols | null | undefined;
const statBuffer = new Uint8Array(256);
const statView = new DataView(statBuffer.buffer);
const encoder = new TextEncoder();

function libc(): Symbols | null {
  if (symbols !== undefined) return symbols;
  try {
    symbols = Deno.build.os === "linux" ? Deno.dlopen("libc.so.6", SYMBOLS).symbols : null;
  } catch {
    symbols = null;
  }
  return symbols;
}

function cString(path: string): Uint8Array {
  return encoder.encode(`${path}\0`);
}

/** The status of `path` itself (a symlink is not followed). @throws Deno's error for it */
export function lstatEntry(path: string): EntryStatus {
  return statEntry(path, false);
}

/** The status of what `path` names, following symlinks. @throws Deno's error for it */
export function statFollowing(path: string): EntryStatus {
  return statEntry(path, true);
}

function statEntry(path: string, follow: boolean): EntryStatus {
  const lib = libc();
  const flags = follow ? 0 : AT_SYMLINK_NOFOLLOW;
  if (lib !== null && lib.statx(AT_FDCWD, cString(path), flags, STATX_MASK, statBuffer) === 0) {
    return fromStatx();
  }
  return fromDeno(follow ? Deno.statSync(path) : Deno.lstatSync(path));
}

/** Reads the fields of `struct statx` (its layout is the same on every architecture). */
function fromStatx(): EntryStatus {
  const mode = statView.getUint16(0x1c, true);
  const format = mode & 0o170000;
  const seconds = statView.getBigInt64(0x70, true);
  const nanoseconds = statView.getUint32(0x78, true);
  return {
    isFile: format === 0o100000,
    isDirectory: format === 0o040000,
    isSymlink: format === 0o120000,
    special: format === 0o140000
      ? "socket"
      : format === 0o010000
      ? "fifo"
      : format === 0o060000
      ? "block device"
      : format === 0o020000
      ? "character device"
      : format === 0o100000 || format === 0o040000 || format === 0o120000
      ? undefined
      : "special file",
    mode: mode & 0o7777,
    size: Number(statView.getBigUint64(0x28, true)),
    inode: Number(statView.getBigUint64(0x20, true)),
    mtimeNs: seconds * 1_000_000_000n + BigInt(nanoseconds),
    device: deviceNumber(statView.getUint32(0x88, true), statView.getUint32(0x8c, true)),
    links: statView.getUint32(0x10, true),
    uid: statView.getUint32(0x14, true),
    gid: statView.getUint32(0x18, true),
    rdev: { major: statView.getUint32(0x80, true), minor: statView.getUint32(0x84, true) },
  };
}

/** One number for a device's major and minor numbers. */
function deviceNumber(major: number, minor: number): number {
  return major * 0x1_0000_0000 + minor;
}

/** The major and minor numbers of a Linux `dev_t` as Deno gives it (glibc's encoding). */
function splitDevT(dev: number): { major: number; minor: number } {
  const value = BigInt(dev);
  const major = Number(((value >> 8n) & 0xfffn) | ((value >> 32n) & ~0xfffn));
  const minor = Number((value & 0xffn) | ((value >> 12n) & ~0xffn));
  return { major, minor };
}

/** `deviceNumber` of a Linux `dev_t` as Deno gives it. */
function fromDevT(dev: number): number {
  const { major, minor } = splitDevT(dev);
  return deviceNumber(major, minor);
}

function fromDeno(info: Deno.FileInfo): EntryStatus {
  const special = info.isSocket === true
    ? "socket"
    : info.isFifo === true
    ? "fifo"
    : info.isBlockDevice === true
    ? "block device"
    : info.isCharDevice === true
    ? "character device"
    : info.isFile || info.isDirectory || info.isSymlink
    ? undefined
    : "special file";
  return {
    isFile: info.isFile,
    isDirectory: info.isDirectory,
    isSymlink: info.isSymlink,
    special,
    mode: (info.mode ?? 0) & 0o7777,
    size: info.size,
    inode: info.ino ?? 0,
    mtimeNs: BigInt(info.mtime?.getTime() ?? 0) * NS_PER_MS,
    device: fromDevT(info.dev),
    links: info.nlink ?? 1,
    uid: info.uid ?? 0,
    gid: info.gid ?? 0,
    rdev: splitDevT(info.rdev ?? 0),
  };
}

/**
 * Sets the modification time of `path` to `mtimeNs` (its access time too, as `utime` does); a
 * symlink's own time when `noFollow`. @throws Deno's error when it cannot be set
 */
export function setModificationTime(path: string, mtimeNs: bigint, noFollow = false): void {
  const lib = libc();
  if (lib !== null) {
    const seconds = floorDiv(mtimeNs, 1_000_000_000n);
    const rest = mtimeNs - seconds * 1_000_000_000n;
    const times = new BigInt64Array([seconds, rest, seconds, rest]);
    const flags = noFollow ? AT_SYMLINK_NOFOLLOW : 0;
    if (lib.utimensat(AT_FDCWD, cString(path), new Uint8Array(times.buffer), flags) === 0) return;
  }
  const seconds = Number(mtimeNs) / 1e9;
  if (noFollow) lutimesSync(path, seconds, seconds);
  else Deno.utimeSync(path, seconds, seconds);
}

function floorDiv(a: bigint, b: bigint): bigint {
  return a / b - (a < 0n && a % b !== 0n ? 1n : 0n);
}
