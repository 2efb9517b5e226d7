/**
 * Where a sparse file's holes are, so the archiver reads only its data and takes the holes as
 * zeros: `lseek(2)` with SEEK_DATA and SEEK_HOLE on a descriptor of this module's own (Deno's file
 * handles do not expose theirs). Looked for only in a file that uses fewer blocks than its size
 * needs (`mayHaveHoles`), so an ordinary file costs nothing more than the stat already made.
 *
 * Invariant: a range is called a hole only when the kernel says it holds no data, in the very
 * file (device and inode) the caller opened. When anything is in doubt (not Linux, no libc, a
 * file system without SEEK_HOLE, another file now at the path), `FileHoles.open` returns null and
 * the file is read whole, as any other.
 *
 * @module
 */
import {
  type ArchiveLibc,
  archiveLibc,
  cPath,
  ENXIO,
  errno,
  SEEK_DATA,
  SEEK_END,
  SEEK_HOLE,
} from "./_libc.ts";

/**
 * open(2) flags: read only, closed on exec, and non-blocking, so that a fifo put in the file's
 * place meanwhile cannot hang the open (it is then refused as another file).
 */
const OPEN_FLAGS = 0o2000000 | 0o4000;
/** statx(2): the descriptor itself, the inode number. */
const AT_EMPTY_PATH = 0x1000;
const STATX_INO = 0x100;
const EMPTY_PATH = new Uint8Array(1);

/** A stretch of the file from some offset: data or hole, up to `end` (exclusive). */
export interface FileRegion {
  hole: boolean;
  /** Where the stretch ends; for the last hole, the file's size when asked. */
  end: number;
}

/**
 * Whether a file may have holes: a regular file whose allocated blocks (512 bytes each) hold
 * less than its size. (A compressed or inline file passes too; its holes are then none.)
 */
export function mayHaveHoles(info: Deno.FileInfo): boolean {
  return info.isFile && info.blocks !== null && info.blocks * 512 < info.size;
}

/** The holes of one open file, asked for in increasing offsets (see the module). */
export class FileHoles {
  readonly #lib: ArchiveLibc;
  #fd: number;
  #start = 0;
  #region: FileRegion = { hole: false, end: 0 };

  private constructor(lib: ArchiveLibc, fd: number) {
    this.#lib = lib;
    this.#fd = fd;
  }

  /**
   * Opens `path` a second time to find its holes, when it is still the file `info` describes
   * (same device and inode) and its file system answers SEEK_HOLE; null otherwise. Never throws.
   */
  static open(path: string, info: Deno.FileInfo): FileHoles | null {
    const lib = archiveLibc();
    if (lib === null || info.ino === null) return null;
    const fd = lib.open(cPath(path), OPEN_FLAGS);
    if (fd < 0) return null;
    const holes = new FileHoles(lib, fd);
    if (holes.#isFile(info) && Number(lib.lseek(fd, 0n, SEEK_HOLE)) >= 0) return holes;
    holes.close();
    return null;
  }

  /**
   * The region holding `offset`: data up to the next hole, or a hole up to the next data (or
   * the file's end). An `end` not past `offset` means the file ends there.
   *
   * @throws {Error} when the kernel answers with an error other than "no more data"
   */
  regionAt(offset: number): FileRegion {
    if (offset >= this.#start && offset < this.#region.end) return this.#region;
    const data = this.#seek(offset, SEEK_DATA);
    if (data === null) {
      const size = this.#seek(0, SEEK_END) ?? offset;
      this.#region = { hole: true, end: size };
    } else if (data > offset) {
      this.#region = { hole: true, end: data };
    } else {
      const hole = this.#seek(offset, SEEK_HOLE);
      if (hole === null) throw new Error("Cannot find the holes of a file: SEEK_HOLE failed");
      this.#region = { hole: false, end: hole };
    }
    this.#start = offset;
    return this.#region;
  }

  /** Closes the descriptor. Idempotent. */
  close(): void {
    if (this.#fd >= 0) this.#lib.close(this.#fd);
    this.#fd = -1;
  }

  /** lseek's answer, or null for "no data at or after `offset`" (ENXIO). */
  #seek(offset: number, whence: number): number | null {
    const at = Number(this.#lib.lseek(this.#fd, BigInt(offset), whence));
    if (at >= 0) return at;
    const code = errno(this.#lib);
    if (code === ENXIO) return null;
    throw new Error(`Cannot find the holes of a file: lseek failed (errno ${code})`);
  }

  /** Whether the descriptor names the file `info` describes (its device and inode). */
  #isFile(info: Deno.FileInfo): boolean {
    const buffer = new Uint8Array(256);
    if (this.#lib.statx(this.#fd, EMPTY_PATH, AT_EMPTY_PATH, STATX_INO, buffer) !== 0) return false;
    const view = new DataView(buffer.buffer);
    const inode = Number(view.getBigUint64(0x20, true));
    const device = linuxDevT(view.getUint32(0x88, true), view.getUint32(0x8c, true));
    return inode === info.ino && device === info.dev;
  }
}

/** glibc's `makedev`: a device number as Deno reports it (`FileInfo.dev`). */
function linuxDevT(major: number, minor: number): number {
  const value = ((BigInt(major) & 0xfffff000n) << 32n) | ((BigInt(major) & 0xfffn) << 8n) |
    ((BigInt(minor) & 0xffffff00n) << 12n) | (BigInt(minor) & 0xffn);
  return Number(value);
}
