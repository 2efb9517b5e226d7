/**
 * The snapshot manifest: a streaming binary encoding of a tree's entries (`TreeEntry`).
 *
 * Format (big-endian): the 8-byte magic `BRWMAN02`, then one record per entry —
 * u8 type (1 file, 2 dir, 3 symlink) | u16 path length | path (UTF-8) | u32 mode | i64 mtime in
 * nanoseconds | f64 size | f64 inode | u32 chunk count | chunk ids (32 bytes each) | u16 target
 * length | target (UTF-8) — and an end record: u8 0 | u32 entry count. Version 1 (`BRWMAN01`)
 * differs only in the mtime, an f64 of milliseconds; it is still read.
 *
 * Invariants, checked on both sides: every entry obeys the rules of `snapshot_model.ts`; a folder
 * comes before anything inside it; no path appears twice; the end record counts the entries and
 * nothing follows it. The decoder treats its input as hostile (it comes from the server): lengths
 * and counts are bounded before any bytes are buffered for them, and every violation is an
 * IntegrityError naming the entry's 0-based index.
 *
 * @module
 */
import { IntegrityError } from "../errors.ts";
import {
  CHUNK_ID_BYTES,
  MAX_CHUNKS,
  MAX_PATH_BYTES,
  TreeOrder,
  validateEntry,
} from "./_manifest_rules.ts";
import type { EntryType, TreeEntry } from "./snapshot_model.ts";

export { entryPathProblem, validateEntry, validateEntryPath } from "./_manifest_rules.ts";

/** The 8 bytes every manifest this version writes starts with. */
export const MANIFEST_MAGIC: Uint8Array = new TextEncoder().encode("BRWMAN02");
/** The magic of version 1 manifests (mtime in milliseconds), still read. */
export const MANIFEST_MAGIC_V1: Uint8Array = new TextEncoder().encode("BRWMAN01");

const TYPE_CODES: Record<EntryType, number> = { file: 1, dir: 2, symlink: 3 };
const CODE_TYPES: readonly (EntryType | undefined)[] = [undefined, "file", "dir", "symlink"];
/** Bytes of a record from the mode to the chunk count: u32 + i64 + 2 × f64 + u32. */
const FIXED_BYTES = 4 + 8 + 8 + 8 + 4;
const utf8 = new TextEncoder();

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
 * Encodes entries into a manifest held in one growing buffer. Entries must come in tree order
 * (a folder before its contents) and each path once.
 */
export class ManifestEncoder {
  #buffer = new Uint8Array(64 * 1024);
  #view = new DataView(this.#buffer.buffer);
  #length = 0;
  #finished = false;
  readonly #order = new TreeOrder();

  constructor() {
    this.#buffer.set(MANIFEST_MAGIC);
    this.#length = MANIFEST_MAGIC.length;
  }

  /**
   * Appends one entry.
   *
   * @throws {TypeError} for an invalid entry, a duplicate path or a folder that did not come first
   * @throws {RangeError} for numbers out of range
   */
  add(entry: TreeEntry): void {
    if (this.#finished) throw new TypeError("Cannot add an entry: the manifest is finished");
    validateEntry(entry);
    this.#order.accept(entry.path, entry.type);
    const path = utf8.encode(entry.path);
    const target = utf8.encode(entry.target);
    this.#reserve(
      3 + path.length + FIXED_BYTES + entry.chunks.length * CHUNK_ID_BYTES + 2 +
        target.length,
    );
    const view = this.#view;
    let at = this.#length;
    view.setUint8(at, TYPE_CODES[entry.type]);
    view.setUint16(at + 1, path.length);
    this.#buffer.set(path, at + 3);
    at += 3 + path.length;
    view.setUint32(at, entry.mode);
    view.setBigInt64(at + 4, entry.mtimeNs);
    view.setFloat64(at + 12, entry.size);
    view.setFloat64(at + 20, entry.inode);
    view.setUint32(at + 28, entry.chunks.length);
    at += FIXED_BYTES;
    for (const id of entry.chunks) {
      this.#buffer.set(id, at);
      at += CHUNK_ID_BYTES;
    }
    view.setUint16(at, target.length);
    this.#buffer.set(target, at + 2);
    this.#length = at + 2 + target.length;
  }

  /** Appends the end record and returns the whole manifest; the encoder is then closed. */
  finish(): Uint8Array {
    if (this.#finished) throw new TypeError("Cannot finish the manifest: it is finished");
    this.#reserve(5);
    this.#view.setUint8(this.#length, 0);
    this.#view.setUint32(this.#length + 1, this.#order.size);
    this.#length += 5;
    this.#finished = true;
    const result = this.#buffer.slice(0, this.#length);
    this.#buffer = new Uint8Array(0);
    this.#view = new DataView(this.#buffer.buffer);
    return result;
  }

  #reserve(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }
}

/** Where the parse of the next record stands: the bytes it needs, or an entry or the end. */
type Step =
  | { kind: "need"; bytes: number }
  | { kind: "entry"; entry: TreeEntry; bytes: number }
  | { kind: "end"; count: number };

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
  #start = 0;
  #end = 0;
  #sawMagic = false;
  /** A version 1 manifest: its mtimes are f64 milliseconds. */
  #millisecondTimes = false;
  #done = false;
  #failed = false;
  #count = 0;
  readonly #order = new TreeOrder();
  readonly #text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  /** Where decoded chunk ids are copied (see `ID_SLAB_BYTES`) and how much of it is used. */
  #idSlab = new Uint8Array(0);
  #idSlabUsed = 0;

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
    if (!this.#sawMagic) {
      if (this.#end - this.#start < MANIFEST_MAGIC.length) return entries;
      const head = this.#buffer.subarray(this.#start, this.#start + MANIFEST_MAGIC.length);
      if (head.every((b, i) => b === MANIFEST_MAGIC_V1[i])) this.#millisecondTimes = true;
      else if (!head.every((b, i) => b === MANIFEST_MAGIC[i])) throw this.#error("bad magic");
      this.#start += MANIFEST_MAGIC.length;
      this.#sawMagic = true;
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
        this.#start = this.#end = 0;
        break;
      }
      this.#start += step.bytes;
      this.#count++;
      entries.push(step.entry);
    }
    return entries;
  }

  /** Parses the record at #start, bounding every length before waiting for its bytes. */
  #step(): Step {
    const available = this.#end - this.#start;
    const view = new DataView(this.#buffer.buffer, this.#start, available);
    if (available < 1) return { kind: "need", bytes: 1 };
    const code = view.getUint8(0);
    if (code === 0) {
      return available < 5 ? { kind: "need", bytes: 5 } : { kind: "end", count: view.getUint32(1) };
    }
    const type = CODE_TYPES[code];
    if (type === undefined) throw this.#entryError(`unknown type byte ${code}`);
    if (available < 3) return { kind: "need", bytes: 3 };
    const pathBytes = view.getUint16(1);
    if (pathBytes === 0 || pathBytes > MAX_PATH_BYTES) {
      throw this.#entryError(`path length ${pathBytes} is out of range`);
    }
    const countAt = 3 + pathBytes + FIXED_BYTES - 4;
    if (available < countAt + 4) return { kind: "need", bytes: countAt + 4 };
    const chunkCount = view.getUint32(countAt);
    if (chunkCount > MAX_CHUNKS || (type !== "file" && chunkCount > 0)) {
      throw this.#entryError(`chunk count ${chunkCount} does not fit a ${type}`);
    }
    const targetAt = countAt + 4 + chunkCount * CHUNK_ID_BYTES;
    if (available < targetAt + 2) return { kind: "need", bytes: targetAt + 2 };
    const targetBytes = view.getUint16(targetAt);
    if (targetBytes > MAX_PATH_BYTES) {
      throw this.#entryError(`target length ${targetBytes} is out of range`);
    }
    const total = targetAt + 2 + targetBytes;
    if (available < total) return { kind: "need", bytes: total };
    return { kind: "entry", entry: this.#entry(type, view, pathBytes, chunkCount), bytes: total };
  }

  /** Copies the first `count` ids of `from` into the id slab; views of them, one per id. */
  #copyIds(from: Uint8Array, count: number): Uint8Array[] {
    const length = count * CHUNK_ID_BYTES;
    if (this.#idSlab.length - this.#idSlabUsed < length) {
      this.#idSlab = new Uint8Array(Math.max(ID_SLAB_BYTES, length));
      this.#idSlabUsed = 0;
    }
    const start = this.#idSlabUsed;
    this.#idSlab.set(from.subarray(0, length), start);
    this.#idSlabUsed += length;
    const ids: Uint8Array[] = new Array(count);
    for (let i = 0, at = start; i < count; i++, at += CHUNK_ID_BYTES) {
      ids[i] = this.#idSlab.subarray(at, at + CHUNK_ID_BYTES);
    }
    return ids;
  }

  #entry(type: EntryType, view: DataView, pathBytes: number, chunkCount: number): TreeEntry {
    const bytes = this.#buffer.subarray(this.#start, this.#end);
    const at = 3 + pathBytes;
    const chunks = this.#copyIds(bytes.subarray(at + FIXED_BYTES), chunkCount);
    const targetAt = at + FIXED_BYTES + chunkCount * CHUNK_ID_BYTES;
    const entry: TreeEntry = {
      path: this.#decodeText(bytes.subarray(3, at), "path"),
      type,
      mode: view.getUint32(at),
      mtimeNs: this.#millisecondTimes
        ? millisecondsToNs(view.getFloat64(at + 4))
        : view.getBigInt64(at + 4),
      size: view.getFloat64(at + 12),
      inode: view.getFloat64(at + 20),
      chunks,
      target: this.#decodeText(
        bytes.subarray(targetAt + 2, targetAt + 2 + view.getUint16(targetAt)),
        "target",
      ),
    };
    try {
      validateEntry(entry);
      this.#order.accept(entry.path, entry.type);
    } catch (error) {
      throw this.#entryError(error instanceof Error ? error.message : String(error), error);
    }
    return entry;
  }

  #decodeText(bytes: Uint8Array, what: string): string {
    try {
      return this.#text.decode(bytes);
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

/**
 * Decodes a whole manifest held in memory.
 *
 * @throws {IntegrityError} when it breaks the format or the tree rules
 */
export function decodeManifest(bytes: Uint8Array): TreeEntry[] {
  const decoder = new ManifestDecoder();
  const entries = decoder.push(bytes);
  decoder.finish();
  return entries;
}
