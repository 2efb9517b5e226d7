/**
 * The manifest decoder (the format is described in `manifest_codec.ts`). It treats its input as
 * hostile (it comes from the server): lengths and counts are bounded before any bytes are
 * buffered for them, every entry obeys the rules of `_manifest_rules.ts` and the tree order, and
 * every violation is an IntegrityError naming the entry's 0-based index.
 *
 * @module
 */
import { IntegrityError } from "../errors.ts";
import {
  CHUNK_ID_BYTES,
  ENTRY_TYPES,
  isDevice,
  MAX_CHUNKS,
  MAX_PATH_BYTES,
  TreeOrder,
  validateEntry,
} from "./_manifest_rules.ts";
import {
  FIXED_BYTES,
  HAS_OWNER,
  MANIFEST_MAGIC,
  MANIFEST_MAGIC_V1,
  MANIFEST_MAGIC_V2,
  OLD_TYPE_COUNT,
} from "./_manifest_layout.ts";
import type { EntryOwner, EntryType, TreeEntry } from "./snapshot_model.ts";

/**
 * A version 1 mtime (f64 milliseconds, fractions allowed) in nanoseconds; one that is not finite
 * becomes a value outside 64 bits, which the entry rules refuse.
 */
function millisecondsToNs(ms: number): bigint {
  if (!Number.isFinite(ms)) return 1n << 64n;
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

/**
 * Whether the record whose path is `buffer[from, to)` (UTF-8, not yet checked) is wanted. It must
 * not keep or change the buffer.
 */
export type PathBytesFilter = (buffer: Uint8Array, from: number, to: number) => boolean;

/** What a `ManifestDecoder` returns besides every entry. */
export interface ManifestDecoderOptions {
  /**
   * Returns only the entries whose paths pass: the others are measured and skipped, with their
   * lengths, type, flags and count checked but not their contents or place in the tree, so the
   * entries returned obey the tree order among themselves only. A hard link whose file was
   * skipped fails as one whose file is not listed.
   */
  keepPath?: PathBytesFilter;
}

/** Where the parse of the next record stands: the bytes it needs, an entry, a skip or the end. */
type Step =
  | { kind: "need"; bytes: number }
  | { kind: "entry"; entry: TreeEntry; bytes: number }
  | { kind: "skip"; bytes: number }
  | { kind: "end"; count: number };

/** Where a record's parts start, relative to the record. */
interface Layout {
  type: EntryType;
  pathBytes: number;
  chunkCount: number;
  /** The u16 target length. */
  targetAt: number;
  /** The flags byte (version 3), or the record's end (versions 1 and 2). */
  tailAt: number;
  /** The owner block, when there is one. */
  ownerAt: number | undefined;
  /** The device numbers, when there are. */
  deviceAt: number | undefined;
}

/**
 * Decoded chunk ids are copied into shared buffers of this size and handed out as views: a
 * buffer of its own per id costs about half a KiB more each (20,000 files: ~10 MiB).
 */
const ID_SLAB_BYTES = 64 * 1024;

/**
 * Decodes a manifest pushed in pieces of any size. Buffers at most one record beyond what it has
 * returned. After an error it stays failed.
 */
export class ManifestDecoder {
  #buffer = new Uint8Array(0);
  /** A view of the whole of `#buffer`. */
  #view = new DataView(this.#buffer.buffer);
  #start = 0;
  #end = 0;
  /** The manifest's version, once its magic is in. */
  #version: 1 | 2 | 3 | undefined;
  #done = false;
  #failed = false;
  #count = 0;
  readonly #order = new TreeOrder();
  readonly #text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  /** Where decoded chunk ids are copied (see `ID_SLAB_BYTES`) and how much of it is used. */
  #idSlab = new Uint8Array(0);
  /** The last owner decoded and the bytes of its block. */
  #lastOwner: { owner: EntryOwner; bytes: Uint8Array } | undefined;
  #idSlabUsed = 0;
  readonly #keepPath: PathBytesFilter | undefined;

  /** A decoder of every entry, or of those `options.keepPath` passes. */
  constructor(options: ManifestDecoderOptions = {}) {
    this.#keepPath = options.keepPath;
  }

  /**
   * Takes the next bytes and returns the entries they complete.
   *
   * @throws {IntegrityError} when the bytes break the format or the tree rules
   */
  push(bytes: Uint8Array): TreeEntry[] {
    if (this.#failed) throw this.#error("an earlier piece did not decode");
    try {
      if (this.#done && bytes.length > 0) throw this.#error("bytes follow the end record");
      this.#append(bytes);
      return this.#drain();
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }

  /** Checks that the manifest ended with its end record. @throws {IntegrityError} */
  finish(): void {
    if (this.#failed) throw this.#error("an earlier piece did not decode");
    if (!this.#done) {
      this.#failed = true;
      throw this.#error(`it is truncated after ${this.#count} entries`);
    }
  }

  #drain(): TreeEntry[] {
    const entries: TreeEntry[] = [];
    if (this.#version === undefined) {
      if (this.#end - this.#start < MANIFEST_MAGIC.length) return entries;
      const head = this.#buffer.subarray(this.#start, this.#start + MANIFEST_MAGIC.length);
      const is = (magic: Uint8Array) => head.every((b, i) => b === magic[i]);
      this.#version = is(MANIFEST_MAGIC)
        ? 3
        : is(MANIFEST_MAGIC_V2)
        ? 2
        : is(MANIFEST_MAGIC_V1)
        ? 1
        : undefined;
      if (this.#version === undefined) throw this.#error("bad magic");
      this.#start += MANIFEST_MAGIC.length;
    }
    while (!this.#done) {
      const step = this.#step();
      if (step.kind === "need") break;
      if (step.kind === "end") {
        if (step.count !== this.#count) {
          throw this.#error(`the end record counts ${step.count} entries, not ${this.#count}`);
        }
        this.#start += 5;
        this.#done = true;
        if (this.#start !== this.#end) throw this.#error("bytes follow the end record");
        this.#buffer = new Uint8Array(0);
        this.#view = new DataView(this.#buffer.buffer);
        this.#start = this.#end = 0;
        break;
      }
      this.#start += step.bytes;
      this.#count++;
      if (step.kind === "entry") entries.push(step.entry);
    }
    return entries;
  }

  /**
   * Parses the record at #start, bounding every length before waiting for its bytes. Offsets in
   * a record are relative to its start `s`, read through one view of the whole buffer.
   */
  #step(): Step {
    const s = this.#start;
    const available = this.#end - s;
    const view = this.#view;
    if (available < 1) return { kind: "need", bytes: 1 };
    const code = view.getUint8(s);
    if (code === 0) {
      return available < 5
        ? { kind: "need", bytes: 5 }
        : { kind: "end", count: view.getUint32(s + 1) };
    }
    const type = code <= (this.#version === 3 ? ENTRY_TYPES.length : OLD_TYPE_COUNT)
      ? ENTRY_TYPES[code - 1]
      : undefined;
    if (type === undefined) throw this.#entryError(`unknown type byte ${code}`);
    if (available < 3) return { kind: "need", bytes: 3 };
    const pathBytes = view.getUint16(s + 1);
    if (pathBytes === 0 || pathBytes > MAX_PATH_BYTES) {
      throw this.#entryError(`path length ${pathBytes} is out of range`);
    }
    const countAt = 3 + pathBytes + FIXED_BYTES - 4;
    if (available < countAt + 4) return { kind: "need", bytes: countAt + 4 };
    const chunkCount = view.getUint32(s + countAt);
    if (chunkCount > MAX_CHUNKS || (type !== "file" && chunkCount > 0)) {
      throw this.#entryError(`chunk count ${chunkCount} does not fit a ${type}`);
    }
    const targetAt = countAt + 4 + chunkCount * CHUNK_ID_BYTES;
    if (available < targetAt + 2) return { kind: "need", bytes: targetAt + 2 };
    const targetBytes = view.getUint16(s + targetAt);
    if (targetBytes > MAX_PATH_BYTES) {
      throw this.#entryError(`target length ${targetBytes} is out of range`);
    }
    const tailAt = targetAt + 2 + targetBytes;
    const tail = this.#version === 3
      ? this.#tail(type, tailAt, available)
      : { ownerAt: undefined, end: 0 };
    if (tail.end === undefined) return { kind: "need", bytes: tail.need };
    const total = Math.max(tailAt, tail.end);
    if (available < total) return { kind: "need", bytes: total };
    if (this.#keepPath !== undefined && !this.#keepPath(this.#buffer, s + 3, s + 3 + pathBytes)) {
      return { kind: "skip", bytes: total };
    }
    const deviceAt = isDevice(type) ? total - 8 : undefined;
    const layout = {
      type,
      pathBytes,
      chunkCount,
      targetAt,
      tailAt,
      ownerAt: tail.ownerAt,
      deviceAt,
    };
    return { kind: "entry", entry: this.#entry(layout), bytes: total };
  }

  /**
   * Where a version 3 record's flags, owner and device numbers end (or the bytes needed to tell):
   * each length is a byte, so no bound is needed beyond it.
   */
  #tail(
    type: EntryType,
    tailAt: number,
    available: number,
  ): { ownerAt: number | undefined; end: number } | { end: undefined; need: number } {
    const view = this.#view;
    const s = this.#start;
    if (available < tailAt + 1) return { end: undefined, need: tailAt + 1 };
    const flags = view.getUint8(s + tailAt);
    if ((flags & ~HAS_OWNER) !== 0) throw this.#entryError(`unknown flags ${flags}`);
    let end = tailAt + 1;
    const ownerAt = flags & HAS_OWNER ? end : undefined;
    if (ownerAt !== undefined) {
      if (available < ownerAt + 9) return { end: undefined, need: ownerAt + 9 };
      const groupAt = ownerAt + 9 + view.getUint8(s + ownerAt + 8);
      if (available < groupAt + 1) return { end: undefined, need: groupAt + 1 };
      end = groupAt + 1 + view.getUint8(s + groupAt);
    }
    return { ownerAt, end: isDevice(type) ? end + 8 : end };
  }

  /** Copies `count` ids from the buffer at `from` into the id slab; views of them, one per id. */
  #copyIds(from: number, count: number): Uint8Array[] {
    if (count === 0) return [];
    const length = count * CHUNK_ID_BYTES;
    if (this.#idSlab.length - this.#idSlabUsed < length) {
      this.#idSlab = new Uint8Array(Math.max(ID_SLAB_BYTES, length));
      this.#idSlabUsed = 0;
    }
    const start = this.#idSlabUsed;
    this.#idSlab.set(this.#buffer.subarray(from, from + length), start);
    this.#idSlabUsed += length;
    const ids: Uint8Array[] = new Array(count);
    for (let i = 0, at = start; i < count; i++, at += CHUNK_ID_BYTES) {
      ids[i] = this.#idSlab.subarray(at, at + CHUNK_ID_BYTES);
    }
    return ids;
  }

  /** The entry of the record at #start. */
  #entry(layout: Layout): TreeEntry {
    const view = this.#view;
    const s = this.#start;
    const { type, targetAt, tailAt } = layout;
    const at = s + 3 + layout.pathBytes;
    const entry: TreeEntry = {
      path: this.#decodeText(s + 3, at, "path"),
      type,
      mode: view.getUint32(at),
      mtimeNs: this.#version === 1
        ? millisecondsToNs(view.getFloat64(at + 4))
        : view.getBigInt64(at + 4),
      size: view.getFloat64(at + 12),
      inode: view.getFloat64(at + 20),
      chunks: this.#copyIds(at + FIXED_BYTES, layout.chunkCount),
      target: tailAt === targetAt + 2
        ? ""
        : this.#decodeText(s + targetAt + 2, s + tailAt, "target"),
    };
    if (layout.ownerAt !== undefined) entry.owner = this.#owner(s + layout.ownerAt);
    if (layout.deviceAt !== undefined) {
      entry.device = {
        major: view.getUint32(s + layout.deviceAt),
        minor: view.getUint32(s + layout.deviceAt + 4),
      };
    }
    if (type === "hardlink" && entry.size !== 0) {
      throw this.#entryError("a hard link holds no size of its own");
    }
    try {
      validateEntry(entry);
      const target = this.#order.accept(entry);
      if (target !== undefined) {
        entry.size = target.size;
        entry.chunks = target.chunks.slice();
      }
    } catch (error) {
      throw this.#entryError(error instanceof Error ? error.message : String(error), error);
    }
    return entry;
  }

  /**
   * The owner block at `at` in the buffer: the previous entry's owner object again when its bytes
   * are the same (most entries of a tree have one owner), so it is decoded once.
   */
  #owner(at: number): EntryOwner {
    const view = this.#view;
    const userEnd = at + 9 + view.getUint8(at + 8);
    const groupEnd = userEnd + 1 + view.getUint8(userEnd);
    const last = this.#lastOwner;
    if (last !== undefined && sameBytes(this.#buffer, at, groupEnd, last.bytes)) return last.owner;
    const owner = Object.freeze({
      uid: view.getUint32(at),
      gid: view.getUint32(at + 4),
      user: this.#decodeText(at + 9, userEnd, "user name"),
      group: this.#decodeText(userEnd + 1, groupEnd, "group name"),
    });
    this.#lastOwner = { owner, bytes: this.#buffer.slice(at, groupEnd) };
    return owner;
  }

  /** The UTF-8 text of the buffer from `from` to `to`. */
  #decodeText(from: number, to: number, what: string): string {
    try {
      return this.#text.decode(this.#buffer.subarray(from, to));
    } catch (error) {
      throw this.#entryError(`the ${what} is not valid UTF-8`, error);
    }
  }

  #append(bytes: Uint8Array): void {
    if (this.#end + bytes.length > this.#buffer.length) {
      const pending = this.#end - this.#start;
      const needed = pending + bytes.length;
      if (needed <= this.#buffer.length) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2, 4096));
        grown.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = grown;
        this.#view = new DataView(grown.buffer);
      }
      this.#start = 0;
      this.#end = pending;
    }
    this.#buffer.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  #entryError(reason: string, cause?: unknown): IntegrityError {
    return this.#error(`entry ${this.#count}: ${reason}`, cause);
  }

  #error(reason: string, cause?: unknown): IntegrityError {
    return new IntegrityError(`Cannot read snapshot manifest: ${reason}`, { cause });
  }
}

/** Whether `buffer[from, to)` holds the bytes of `expected`. */
function sameBytes(buffer: Uint8Array, from: number, to: number, expected: Uint8Array): boolean {
  if (to - from !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (buffer[from + i] !== expected[i]) return false;
  return true;
}
