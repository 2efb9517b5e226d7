/**
 * Byte layouts of pack and index files (documented in docs/REPOSITORY.md).
 *
 * Pack: `"BRWPACK1"` then records `id (32 B) | length (u32 BE) | blob`.
 * Index: `"BRWIDX01" | pack id (16 B) | count (u32 BE) | count × (id (32 B) | offset (u64 BE) |
 * length (u32 BE)) | SHA-256 of every preceding byte`. Offsets point at a record's header.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { IntegrityError } from "../errors.ts";
import { CHUNK_ID_BYTES, toHex } from "../format/chunk_id.ts";

/** Magic at the start of every pack file. */
export const PACK_MAGIC: Uint8Array = new TextEncoder().encode("BRWPACK1");
/** Magic at the start of every index file. */
export const INDEX_MAGIC: Uint8Array = new TextEncoder().encode("BRWIDX01");
/** Bytes of a record header: id and length. */
export const RECORD_HEADER_BYTES: number = CHUNK_ID_BYTES + 4;
/** Bytes of a pack id. */
export const PACK_ID_BYTES = 16;

const ENTRY_BYTES = CHUNK_ID_BYTES + 8 + 4;
const INDEX_HEAD_BYTES = 8 + PACK_ID_BYTES + 4;
const DIGEST_BYTES = 32;

/** One blob's place in a pack, as an index file lists it. */
export interface IndexEntry {
  id: Uint8Array;
  offset: number;
  length: number;
}

/** Writes a record header for `id` and `length` into `target` at `at`. */
export function writeRecordHeader(
  target: Uint8Array,
  at: number,
  id: Uint8Array,
  length: number,
): void {
  target.set(id, at);
  new DataView(target.buffer, target.byteOffset).setUint32(at + CHUNK_ID_BYTES, length);
}

/**
 * Checks that a record read from `packName` is the record of `id` with a blob of `length` bytes:
 * `record` starts with its header, and `recordBytes` of header and blob were read in all.
 * @throws {IntegrityError} when it is short or names another id or length.
 */
export function verifyRecord(
  record: Uint8Array,
  recordBytes: number,
  id: Uint8Array,
  length: number,
  packName: string,
): void {
  const where = `chunk "${toHex(id)}" in pack "${packName}"`;
  if (recordBytes < RECORD_HEADER_BYTES + length || record.length < RECORD_HEADER_BYTES) {
    throw new IntegrityError(`Cannot read ${where}: the pack is truncated`);
  }
  for (let i = 0; i < CHUNK_ID_BYTES; i++) {
    if (record[i] !== id[i]) {
      throw new IntegrityError(`Cannot read ${where}: the record names another id`);
    }
  }
  const stored = new DataView(record.buffer, record.byteOffset).getUint32(CHUNK_ID_BYTES);
  if (stored !== length) {
    throw new IntegrityError(`Cannot read ${where}: the record length ${stored} is not ${length}`);
  }
}

/** The bytes of an index file for pack `packId` listing `entries`. */
export function encodeIndex(packId: Uint8Array, entries: readonly IndexEntry[]): Uint8Array {
  const body = INDEX_HEAD_BYTES + entries.length * ENTRY_BYTES;
  const bytes = new Uint8Array(body + DIGEST_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(INDEX_MAGIC, 0);
  bytes.set(packId, 8);
  view.setUint32(8 + PACK_ID_BYTES, entries.length);
  let at = INDEX_HEAD_BYTES;
  for (const entry of entries) {
    bytes.set(entry.id, at);
    view.setBigUint64(at + CHUNK_ID_BYTES, BigInt(entry.offset));
    view.setUint32(at + CHUNK_ID_BYTES + 8, entry.length);
    at += ENTRY_BYTES;
  }
  bytes.set(sha256(bytes.subarray(0, body)), body);
  return bytes;
}

/** A decoded index file: its pack id and its entries, as views into the file's bytes. */
export interface DecodedIndex {
  packId: Uint8Array;
  count: number;
  /**
   * Calls `visit` for each entry from position `from` up to (not including) `to` (default: all);
   * `id` is a view into the index bytes, valid during the call.
   */
  forEach(
    visit: (id: Uint8Array, offset: number, length: number) => void,
    from?: number,
    to?: number,
  ): void;
}

/**
 * Parses and verifies an index file read from `name`.
 * @throws {IntegrityError} naming the file when the magic, the length or the digest is wrong.
 */
export function decodeIndex(bytes: Uint8Array, name: string): DecodedIndex {
  const damaged = (why: string) => new IntegrityError(`Cannot load index "${name}": ${why}`);
  if (bytes.length < INDEX_HEAD_BYTES + DIGEST_BYTES) throw damaged("the file is truncated");
  if (!startsWith(bytes, INDEX_MAGIC)) throw damaged("not an index file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(8 + PACK_ID_BYTES);
  const body = INDEX_HEAD_BYTES + count * ENTRY_BYTES;
  if (bytes.length !== body + DIGEST_BYTES) throw damaged("the length does not match the count");
  if (!equalBytes(sha256(bytes.subarray(0, body)), bytes.subarray(body))) {
    throw damaged("the checksum does not match");
  }
  return {
    packId: bytes.subarray(8, 8 + PACK_ID_BYTES),
    count,
    forEach(visit, from = 0, to = count) {
      const end = INDEX_HEAD_BYTES + Math.min(to, count) * ENTRY_BYTES;
      for (let at = INDEX_HEAD_BYTES + from * ENTRY_BYTES; at < end; at += ENTRY_BYTES) {
        const high = view.getUint32(at + CHUNK_ID_BYTES);
        const low = view.getUint32(at + CHUNK_ID_BYTES + 4);
        const length = view.getUint32(at + CHUNK_ID_BYTES + 8);
        visit(bytes.subarray(at, at + CHUNK_ID_BYTES), high * 2 ** 32 + low, length);
      }
    },
  };
}

/** Whether `bytes` begins with `prefix`. */
export function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && equalBytes(bytes.subarray(0, prefix.length), prefix);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}
