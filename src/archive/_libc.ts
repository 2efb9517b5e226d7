/**
 * The libc calls the archiver needs and Deno has no API for: `lseek(2)` with SEEK_DATA and
 * SEEK_HOLE on a descriptor of its own (where a sparse file's holes are), and `opendir(3)` and
 * `readdir(3)` (names as the raw bytes the file system holds, which Deno's listing may change).
 * Bound once per thread through FFI, on Linux only: elsewhere, or where libc cannot be loaded,
 * `archiveLibc()` returns null and callers fall back to Deno's calls. Nothing here keeps a
 * descriptor open: each caller closes what it opened.
 *
 * @module
 */

const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
  __errno_location: { parameters: [], result: "pointer" },
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir64: { parameters: ["pointer"], result: "pointer" },
  closedir: { parameters: ["pointer"], result: "i32" },
} as const;

/** The bound libc functions; each fails as in C (-1 or null, the reason in `errno()`). */
export type ArchiveLibc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** `lseek(2)` whence: the next offset holding data. */
export const SEEK_DATA = 3;
/** `lseek(2)` whence: the next offset in a hole (the file's end counts as one). */
export const SEEK_HOLE = 4;
/** `lseek(2)` whence: the file's end. */
export const SEEK_END = 2;
/** `errno` when SEEK_DATA finds no data at or after the offset. */
export const ENXIO = 6;

let symbols: ArchiveLibc | null | undefined;
const encoder = new TextEncoder();

/** The libc functions, loaded once per thread; null where they are not available. */
export function archiveLibc(): ArchiveLibc | null {
  if (symbols !== undefined) return symbols;
  try {
    symbols = Deno.build.os === "linux" ? Deno.dlopen("libc.so.6", SYMBOLS).symbols : null;
  } catch {
    symbols = null;
  }
  return symbols;
}

/** This thread's `errno`, as the last failing call left it. */
export function errno(lib: ArchiveLibc): number {
  const pointer = lib.__errno_location();
  return pointer === null ? 0 : new Deno.UnsafePointerView(pointer).getInt32(0);
}

/** Sets this thread's `errno` (to 0 before a call that reports failure only through it). */
export function setErrno(lib: ArchiveLibc, value: number): void {
  const pointer = lib.__errno_location();
  if (pointer !== null) {
    new Int32Array(Deno.UnsafePointerView.getArrayBuffer(pointer, 4))[0] = value;
  }
}

/** `path` as a NUL-terminated C string. */
export function cPath(path: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${path}\0`);
}
