/**
 * The rules every manifest entry obeys, shared by the encoder (which throws TypeError/RangeError
 * on a caller's mistake) and the decoder (which turns the same findings into IntegrityError,
 * since decoded bytes come from an untrusted server).
 *
 * @module
 */
import { quoteName } from "../names.ts";
import type { EntryOwner, EntryType, TreeEntry } from "./snapshot_model.ts";

/** Longest entry path or symlink target, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 4096;
/** Most chunk ids one file entry may list (2^24: 16 TiB at 1 MiB chunks). */
export const MAX_CHUNKS = 2 ** 24;
/** Length of a chunk id. */
export const CHUNK_ID_BYTES = 32;
/** Longest owner (user or group) name, in UTF-8 bytes. */
export const MAX_OWNER_NAME_BYTES = 255;
/** Largest uid, gid or device number (32 bits). */
const MAX_U32 = 0xffff_ffff;

/** Every entry type, in the order of their type codes (1 and up) in a manifest. */
export const ENTRY_TYPES: readonly EntryType[] = [
  "file",
  "dir",
  "symlink",
  "hardlink",
  "fifo",
  "socket",
  "chardev",
  "blockdev",
];
const TYPES: ReadonlySet<string> = new Set(ENTRY_TYPES);

/** Whether entries of `type` hold content (chunks and a size): files and hard links. */
export function holdsContent(type: EntryType): boolean {
  return type === "file" || type === "hardlink";
}

/** Whether `type` is a device, which records its major and minor numbers. */
export function isDevice(type: EntryType): boolean {
  return type === "chardev" || type === "blockdev";
}

/** The number of UTF-8 bytes of a well-formed string. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    // Two-unit surrogate pairs are 4 bytes (2 + 2); BMP code points >= 0x800 are 3 bytes.
    bytes += unit < 0x800 || (unit >= 0xd800 && unit <= 0xdfff) ? 1 : 2;
  }
  return bytes;
}

/** Matches a path with an empty, `.` or `..` component. */
const BAD_COMPONENT = /(?:^|\/)\.{0,2}(?:\/|$)/;

/**
 * Why `path` breaks the entry path rules, or undefined when it obeys them: relative,
 * `/`-separated, no empty, `.` or `..` component, no NUL, well-formed Unicode, ≤ 4096 bytes.
 */
export function entryPathProblem(path: string): string | undefined {
  if (path === "") return "it is empty";
  if (path.startsWith("/")) return "it is absolute";
  if (!path.isWellFormed()) return "it is not valid Unicode";
  if (path.includes("\0")) return "it holds a NUL character";
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short paths need no count.
  if (path.length * 3 > MAX_PATH_BYTES && utf8Length(path) > MAX_PATH_BYTES) {
    return `it is longer than ${MAX_PATH_BYTES} bytes`;
  }
  if (!BAD_COMPONENT.test(path)) return undefined;
  for (const part of path.split("/")) {
    if (part === "") return "it has an empty component";
    if (part === "." || part === "..") return `it has a "${part}" component`;
  }
  return undefined;
}

/**
 * Returns `path` unchanged when it is a valid entry path (see `entryPathProblem`).
 *
 * @throws {TypeError} naming the rule it breaks
 */
export function validateEntryPath(path: string): string {
  const problem = typeof path === "string" ? entryPathProblem(path) : "it is not a string";
  if (problem !== undefined) {
    throw new TypeError(`Invalid entry path ${quoteName(String(path))}: ${problem}`);
  }
  return path;
}

function checkCount(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Invalid ${what} ${value}: expected a non-negative safe integer`);
  }
}

function checkTarget(entry: TreeEntry): void {
  if (typeof entry.target !== "string") throw new TypeError("Invalid target: not a string");
  if (entry.type === "hardlink") {
    const problem = entryPathProblem(entry.target) ??
      (entry.target === entry.path ? "it is the link itself" : undefined);
    if (problem !== undefined) {
      throw new TypeError(`Invalid hard link target ${quoteName(entry.target)}: ${problem}`);
    }
    return;
  }
  if (entry.type !== "symlink") {
    if (entry.target !== "") throw new TypeError(`Invalid target: a ${entry.type} has none`);
    return;
  }
  const bytes = utf8Length(entry.target);
  if (bytes < 1 || bytes > MAX_PATH_BYTES) {
    throw new RangeError(`Invalid symlink target: ${bytes} bytes, expected 1-${MAX_PATH_BYTES}`);
  }
  if (!entry.target.isWellFormed() || entry.target.includes("\0")) {
    throw new TypeError("Invalid symlink target: it holds a NUL or is not valid Unicode");
  }
}

function checkChunks(entry: TreeEntry): void {
  if (!Array.isArray(entry.chunks)) throw new TypeError("Invalid chunks: not an array");
  const count = entry.chunks.length;
  if (count > MAX_CHUNKS) throw new RangeError(`Invalid chunk count ${count}: over ${MAX_CHUNKS}`);
  for (const id of entry.chunks) {
    if (!(id instanceof Uint8Array) || id.length !== CHUNK_ID_BYTES) {
      throw new TypeError(`Invalid chunk id: expected ${CHUNK_ID_BYTES} bytes`);
    }
  }
  if (!holdsContent(entry.type)) {
    if (count > 0 || entry.size !== 0) {
      throw new RangeError(`Invalid ${entry.type}: it has a size or chunks`);
    }
  } else if ((entry.size === 0) !== (count === 0) || count > entry.size) {
    throw new RangeError(`Invalid ${entry.type}: ${count} chunks cannot hold ${entry.size} bytes`);
  }
}

function checkU32(what: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_U32) {
    throw new RangeError(`Invalid ${what} ${value}: expected 0-${MAX_U32}`);
  }
}

/** Matches a control character. */
const CONTROL = /\p{Cc}/u;

function checkOwnerName(what: string, name: unknown): void {
  if (typeof name !== "string") throw new TypeError(`Invalid ${what} name: not a string`);
  const bytes = utf8Length(name);
  if (bytes > MAX_OWNER_NAME_BYTES || !name.isWellFormed() || CONTROL.test(name)) {
    throw new TypeError(
      `Invalid ${what} name ${quoteName(name)}: expected at most ${MAX_OWNER_NAME_BYTES} ` +
        "bytes of valid Unicode with no control character",
    );
  }
}

/**
 * Checks an owner: uid and gid of 32 bits, names of at most 255 bytes with no control character.
 *
 * @throws {TypeError} for a bad name or shape
 * @throws {RangeError} for a number out of range
 */
export function validateOwner(owner: EntryOwner): void {
  if (typeof owner !== "object" || owner === null) throw new TypeError("Invalid owner");
  checkU32("uid", owner.uid);
  checkU32("gid", owner.gid);
  checkOwnerName("user", owner.user);
  checkOwnerName("group", owner.group);
}

/**
 * Frozen owners found valid: the decoder hands one frozen owner object to every entry of the same
 * owner, so it is checked once (a frozen object cannot change after its check).
 */
const CHECKED_OWNERS = new WeakSet<EntryOwner>();

function checkOwnerAndDevice(entry: TreeEntry): void {
  const owner = entry.owner;
  if (owner !== undefined && !CHECKED_OWNERS.has(owner)) {
    validateOwner(owner);
    if (Object.isFrozen(owner)) CHECKED_OWNERS.add(owner);
  }
  const device = entry.device;
  if (!isDevice(entry.type)) {
    if (device !== undefined) throw new TypeError(`Invalid ${entry.type}: it has device numbers`);
    return;
  }
  if (typeof device !== "object" || device === null) {
    throw new TypeError(`Invalid ${entry.type}: it has no device numbers`);
  }
  checkU32("major device number", device.major);
  checkU32("minor device number", device.minor);
}

/**
 * Checks one entry on its own (not its place in the tree).
 *
 * @throws {TypeError} for a bad type, path, chunk id or target
 * @throws {RangeError} for a number out of range or counts that do not fit the type
 */
export function validateEntry(entry: TreeEntry): TreeEntry {
  if (!TYPES.has(entry.type)) {
    throw new TypeError(`Invalid entry type ${quoteName(entry.type)}`);
  }
  validateEntryPath(entry.path);
  if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o7777) {
    throw new RangeError(`Invalid mode ${entry.mode}: expected 0-0o7777`);
  }
  if (typeof entry.mtimeNs !== "bigint" || BigInt.asIntN(64, entry.mtimeNs) !== entry.mtimeNs) {
    throw new RangeError(`Invalid mtime ${entry.mtimeNs}: expected a 64-bit count of nanoseconds`);
  }
  checkCount("size", entry.size);
  checkCount("inode", entry.inode);
  checkChunks(entry);
  checkTarget(entry);
  checkOwnerAndDevice(entry);
  return entry;
}

/**
 * Tracks the tree order of a manifest: no duplicate paths, every entry's parent folder listed
 * (as a folder) before it, and every hard link's target listed (as a file) before it. Keeps one
 * map slot per path (a file's slot holds its entry, for the hard links to it).
 */
export class TreeOrder {
  /** A file's entry, `true` for a folder, `false` for anything else. */
  readonly #seen = new Map<string, TreeEntry | boolean>();
  /** The last folder found to be a parent, with its `/` (a folder never stops being one). */
  #lastParent = "";

  /**
   * Records `entry`; for a hard link, returns the file entry it links to.
   *
   * @throws {TypeError} as `check` does
   */
  accept(entry: TreeEntry): TreeEntry | undefined {
    const target = this.#checkPlace(entry);
    const seen = this.#seen;
    const size = seen.size;
    seen.set(entry.path, entry.type === "file" ? entry : entry.type === "dir");
    if (seen.size === size) throw duplicate(entry.path); // the order stays broken after it
    return target;
  }

  /**
   * Whether `entry` may come next, without recording it; for a hard link, returns the file
   * entry it links to.
   *
   * @throws {TypeError} on a duplicate, a parent not seen as a folder, or a hard link whose
   *   target was not seen as a file
   */
  check(entry: TreeEntry): TreeEntry | undefined {
    if (this.#seen.has(entry.path)) throw duplicate(entry.path);
    return this.#checkPlace(entry);
  }

  /**
   * What `check` checks but duplicates: the parent folder (remembering the last one found, since
   * most entries follow a sibling) and a hard link's target.
   */
  #checkPlace(entry: TreeEntry): TreeEntry | undefined {
    const path = entry.path;
    const slash = path.lastIndexOf("/");
    const last = this.#lastParent;
    if (slash >= 0 && !(slash + 1 === last.length && path.startsWith(last))) {
      const parent = path.slice(0, slash);
      if (this.#seen.get(parent) !== true) {
        throw new TypeError(`Path ${quoteName(path)} comes before its folder ${quoteName(parent)}`);
      }
      this.#lastParent = `${parent}/`;
    }
    if (entry.type !== "hardlink") return undefined;
    const found = this.#seen.get(entry.target);
    if (typeof found !== "object") {
      throw new TypeError(
        `Hard link ${quoteName(path)} points to ${quoteName(entry.target)}, ` +
          "which is not a file listed before it",
      );
    }
    return found;
  }

  /** How many paths were accepted. */
  get size(): number {
    return this.#seen.size;
  }
}

function duplicate(path: string): TypeError {
  return new TypeError(`Duplicate path ${quoteName(path)}`);
}
