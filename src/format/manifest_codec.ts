/**
 * The snapshot manifest: a streaming binary encoding of a tree's entries (`TreeEntry`).
 *
 * Format (big-endian): the 8-byte magic `BRWMAN03`, then one record per entry —
 * u8 type (1 file, 2 dir, 3 symlink, 4 hard link, 5 fifo, 6 socket, 7 character device, 8 block
 * device) | u16 path length | path (UTF-8) | u32 mode | i64 mtime in nanoseconds | f64 size |
 * f64 inode | u32 chunk count | chunk ids (32 bytes each) | u16 target length | target (UTF-8) |
 * u8 flags (bit 0: an owner follows; the other bits 0) | [u32 uid | u32 gid | u8 user length |
 * user | u8 group length | group] | [devices only: u32 major | u32 minor] — and an end record:
 * u8 0 | u32 entry count. A hard link's record holds no size or chunks of its own: it has its
 * target's, the earlier file entry its target names. Version 2 (`BRWMAN02`) records end at the
 * target and know types 1-3 only; version 1 (`BRWMAN01`) differs from version 2 only in the mtime,
 * an f64 of milliseconds. Both are still read (their entries have no owner).
 *
 * Invariants, checked on both sides: every entry obeys the rules of `snapshot_model.ts`; a folder
 * comes before anything inside it; a hard link's target is a file listed before it; no path
 * appears twice; the end record counts the entries and nothing follows it. The decoder
 * (`_manifest_decoder.ts`) treats its input as hostile.
 *
 * @module
 */
import { CHUNK_ID_BYTES, ENTRY_TYPES, TreeOrder, validateEntry } from "./_manifest_rules.ts";
import { FIXED_BYTES, HAS_OWNER, MANIFEST_MAGIC } from "./_manifest_layout.ts";
import { ManifestDecoder } from "./_manifest_decoder.ts";
import type { EntryOwner, EntryType, TreeEntry } from "./snapshot_model.ts";

export {
  entryPathProblem,
  holdsContent,
  isDevice,
  validateEntry,
  validateEntryPath,
} from "./_manifest_rules.ts";
export { MANIFEST_MAGIC, MANIFEST_MAGIC_V1, MANIFEST_MAGIC_V2 } from "./_manifest_layout.ts";
export {
  ManifestDecoder,
  type ManifestDecoderOptions,
  type PathBytesFilter,
} from "./_manifest_decoder.ts";

const utf8 = new TextEncoder();

/** An entry's type code (1 and up). */
function typeCode(type: EntryType): number {
  return ENTRY_TYPES.indexOf(type) + 1;
}

/** An owner as the manifest holds it: u32 uid | u32 gid | u8 length | user | u8 length | group. */
function ownerBytes(owner: EntryOwner): Uint8Array {
  const user = utf8.encode(owner.user);
  const group = utf8.encode(owner.group);
  const bytes = new Uint8Array(10 + user.length + group.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, owner.uid);
  view.setUint32(4, owner.gid);
  view.setUint8(8, user.length);
  bytes.set(user, 9);
  view.setUint8(9 + user.length, group.length);
  bytes.set(group, 10 + user.length);
  return bytes;
}

/** @throws {TypeError} when a hard link's size or chunks are not its target's */
function sameContent(link: TreeEntry, target: TreeEntry): void {
  const same = link.size === target.size && link.chunks.length === target.chunks.length &&
    link.chunks.every((id, i) => id.every((byte, j) => byte === target.chunks[i]![j]));
  if (!same) {
    throw new TypeError(
      `Hard link ${JSON.stringify(link.path)} does not hold the content of its target`,
    );
  }
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
   * Appends one entry (a hard link without its content: the decoder gives it its target's).
   *
   * @throws {TypeError} for an invalid entry, a duplicate path, a folder that did not come first,
   *   or a hard link whose target is not an earlier file of the same content
   * @throws {RangeError} for numbers out of range
   */
  add(entry: TreeEntry): void {
    if (this.#finished) throw new TypeError("Cannot add an entry: the manifest is finished");
    validateEntry(entry);
    const linked = this.#order.check(entry);
    if (linked !== undefined) sameContent(entry, linked);
    this.#order.accept(entry);
    const own = entry.type !== "hardlink";
    const path = utf8.encode(entry.path);
    const target = utf8.encode(entry.target);
    const chunks = own ? entry.chunks : [];
    const owner = entry.owner === undefined ? undefined : ownerBytes(entry.owner);
    this.#reserve(
      3 + path.length + FIXED_BYTES + chunks.length * CHUNK_ID_BYTES + 2 + target.length + 1 +
        (owner?.length ?? 0) + (entry.device === undefined ? 0 : 8),
    );
    const view = this.#view;
    let at = this.#length;
    view.setUint8(at, typeCode(entry.type));
    view.setUint16(at + 1, path.length);
    this.#buffer.set(path, at + 3);
    at += 3 + path.length;
    view.setUint32(at, entry.mode);
    view.setBigInt64(at + 4, entry.mtimeNs);
    view.setFloat64(at + 12, own ? entry.size : 0);
    view.setFloat64(at + 20, entry.inode);
    view.setUint32(at + 28, chunks.length);
    at += FIXED_BYTES;
    for (const id of chunks) {
      this.#buffer.set(id, at);
      at += CHUNK_ID_BYTES;
    }
    view.setUint16(at, target.length);
    this.#buffer.set(target, at + 2);
    at += 2 + target.length;
    view.setUint8(at++, owner === undefined ? 0 : HAS_OWNER);
    if (owner !== undefined) {
      this.#buffer.set(owner, at);
      at += owner.length;
    }
    if (entry.device !== undefined) {
      view.setUint32(at, entry.device.major);
      view.setUint32(at + 4, entry.device.minor);
      at += 8;
    }
    this.#length = at;
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
