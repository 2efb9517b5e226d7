/**
 * Names exactly as the file system holds them. Deno lists a folder's names as strings, with
 * each byte that is not UTF-8 replaced by U+FFFD: stored so, a name would not be the original,
 * and could even be taken for another entry whose name really holds U+FFFD. A listing that
 * shows U+FFFD is therefore read again as raw bytes through libc: names that are valid UTF-8
 * are kept as they are (U+FFFD included, when it is really there); the others are reported,
 * escaped (`\xff`), and left out, never stored changed.
 *
 * Where libc is not available (not Linux), a listed name holding U+FFFD that cannot be found
 * under that name is taken as changed and left out the same way; one that can is kept.
 *
 * @module
 */
import { archiveLibc, cPath, errno, setErrno } from "./_libc.ts";

/** A folder's names: the ones to back up, and the others (escaped), to leave out. */
export interface ExactNames {
  names: string[];
  invalid: string[];
}

/** `struct dirent64`: where `d_reclen` and `d_name` are (the same on every Linux). */
const DIRENT_RECLEN = 16;
const DIRENT_NAME = 19;
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Whether a name as Deno listed it may have been changed (see the module). */
export function mayBeChanged(text: string): boolean {
  return text.includes("\uFFFD");
}

/**
 * The exact names of `folder`, given what Deno listed there (`listed`, some holding U+FFFD).
 *
 * @throws {Error} when the folder cannot be read again
 */
export function exactNames(folder: string, listed: readonly string[]): ExactNames {
  const raw = rawNames(folder);
  if (raw === null) return guessedNames(folder, listed);
  const result: ExactNames = { names: [], invalid: [] };
  for (const bytes of raw) {
    const name = decodeExact(bytes);
    if (name === null) result.invalid.push(escapeBytes(bytes));
    else result.names.push(name);
  }
  return result;
}

/** `bytes` as text when they are valid UTF-8, else null. */
function decodeExact(bytes: Uint8Array): string | null {
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
}

/** The names in `folder` as raw bytes (without `.` and `..`), or null without libc. */
function rawNames(folder: string): Uint8Array[] | null {
  const lib = archiveLibc();
  if (lib === null) return null;
  const dir = lib.opendir(cPath(folder));
  if (dir === null) {
    throw new Error(`Cannot read folder names: opendir failed (errno ${errno(lib)})`);
  }
  const names: Uint8Array[] = [];
  try {
    for (;;) {
      setErrno(lib, 0);
      const entry = lib.readdir64(dir);
      if (entry === null) break;
      const view = new Deno.UnsafePointerView(entry);
      const record = new Uint8Array(view.getUint16(DIRENT_RECLEN) - DIRENT_NAME);
      view.copyInto(record, DIRENT_NAME);
      const end = record.indexOf(0);
      const name = record.slice(0, end < 0 ? record.length : end);
      if (!isDotName(name)) names.push(name);
    }
    const code = errno(lib);
    if (code !== 0) throw new Error(`Cannot read folder names: readdir failed (errno ${code})`);
  } finally {
    lib.closedir(dir);
  }
  return names;
}

function isDotName(name: Uint8Array): boolean {
  return name[0] === 0x2e && (name.length === 1 || (name.length === 2 && name[1] === 0x2e));
}

/** Without libc: a name with U+FFFD that lstat cannot find is one Deno changed. */
function guessedNames(folder: string, listed: readonly string[]): ExactNames {
  const result: ExactNames = { names: [], invalid: [] };
  for (const name of listed) {
    if (mayBeChanged(name) && !exists(`${folder}/${name}`)) {
      result.invalid.push(escapeText(name));
    } else result.names.push(name);
  }
  return result;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Raw name bytes for a message: valid UTF-8 as it is, but each byte that is not part of a
 * valid character as `\xNN`, and control characters and `\` escaped (see `escapeText`).
 */
export function escapeBytes(bytes: Uint8Array): string {
  let text = "";
  for (let at = 0; at < bytes.length;) {
    const char = charAt(bytes, at);
    if (char === null) {
      text += hex(bytes[at]!);
      at++;
    } else {
      text += escapeText(char.text);
      at += char.length;
    }
  }
  return text;
}

/** The character starting at `at` when a valid UTF-8 sequence starts there. */
function charAt(bytes: Uint8Array, at: number): { text: string; length: number } | null {
  for (let length = 1; length <= 4 && at + length <= bytes.length; length++) {
    const text = decodeExact(bytes.subarray(at, at + length));
    if (text !== null) return { text, length };
  }
  return null;
}

/** Text for a message, with control characters as `\xNN` (`\uNNNN` above ASCII), `\` as `\\`. */
function escapeText(text: string): string {
  return text.replace(/[\\\p{Cc}]/gu, (c) => {
    const code = c.charCodeAt(0);
    if (c === "\\") return "\\\\";
    return code < 0x80 ? hex(code) : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

function hex(byte: number): string {
  return `\\x${byte.toString(16).padStart(2, "0")}`;
}
