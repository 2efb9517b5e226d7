/**
 * Byte layouts of pack and index files (documented in docs/REPOSITORY.md).
 *
 * Pack, version 2: `"BRWPACK2"` then records `id (32 B) | length (u32 BE) | CRC-32 of the blob
 * (u32 BE) | blob`, so the server itself notices a record the disk damaged. Version 1
 * (`"BRWPACK1"`, records without the CRC) is still read.
 * Index: `"BRWIDX02"` (or `"BRWIDX01"` for a version 1 pack) `| pack id (16 B) | count (u32 BE) |
 * count × (id (32 B) | offset (u64 BE) | length (u32 BE)) | SHA-256 of every preceding byte`.
 * Offsets point at a record's header; the index's version is its pack's.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { IntegrityError } from "../errors.ts";
import { CHUNK_ID_BYTES, toHex } from "../format/chunk_id.ts";

/** The versions of the pack format: 2 is written, 1 is still read. */
export type PackVersion = 1 | 2;
/** The version new packs are written in. */
export const PACK_VERSION: PackVersion = 2;

const encoder = new TextEncoder();
/** Magic at the start of a pack file of each version. */
export const PACK_MAGICS: Readonly<Record<PackVersion, Uint8Array>> = {
  1: encoder.encode("BRWPACK1"),
  2: encoder.encode("BRWPACK2"),
};
/** Magic at the start of an index file, by the version of its pack. */
export const INDEX_MAGICS: Readonly<Record<PackVersion, Uint8Array>> = {
  1: encoder.encode("BRWIDX01"),
  2: encoder.encode("BRWIDX02"),
};
/** Bytes of a magic. */
export const MAGIC_BYTES = 8;
/** Bytes of a pack id. */
export const PACK_ID_BYTES = 16;

const ENTRY_BYTES = CHUNK_ID_BYTES + 8 + 4;
const INDEX_HEAD_BYTES = 8 + PACK_ID_BYTES + 4;
const DIGEST_BYTES = 32;

/** Bytes of a record header in a pack of `version`: id and length, and in version 2 the CRC. */
export function recordHeaderBytes(version: PackVersion): number {
  return version === 1 ? CHUNK_ID_BYTES + 4 : CHUNK_ID_BYTES + 8;
}

/** The version whose pack magic `bytes` starts with, or undefined. */
export function packVersionOf(bytes: Uint8Array): PackVersion | undefined {
  if (startsWith(bytes, PACK_MAGICS[2])) return 2;
  return startsWith(bytes, PACK_MAGICS[1]) ? 1 : undefined;
}

/** One blob's place in a pack, as an index file lists it. */
export interface IndexEntry {
  id: Uint8Array;
  offset: number;
  length: number;
}

/** Writes a version 2 record header for `id` and `blob` (its length and CRC) into `target` at `at`. */
export function writeRecordHeader(
  target: Uint8Array,
  at: number,
  id: Uint8Array,
  blob: Uint8Array,
): void {
  target.set(id, at);
  const view = new DataView(target.buffer, target.byteOffset);
  view.setUint32(at + CHUNK_ID_BYTES, blob.length);
  view.setUint32(at + CHUNK_ID_BYTES + 4, crc32(blob));
}

/**
 * Checks that a record read from `packName` (of `version`) is the record of `id` with a blob of
 * `length` bytes: `header` holds the record's header, `recordBytes` of header and blob were read
 * in all, and `blob` holds the blob (checked against the header's CRC in version 2).
 * @throws {IntegrityError} when it is short, names another id or length, or its CRC differs.
 */
export function verifyRecord(
  header: Uint8Array,
  recordBytes: number,
  id: Uint8Array,
  blob: Uint8Array,
  packName: string,
  version: PackVersion,
): void {
  const where = `chunk "${toHex(id)}" in pack "${packName}"`;
  const headerBytes = recordHeaderBytes(version);
  if (recordBytes < headerBytes + blob.length || header.length < headerBytes) {
    throw new IntegrityError(`Cannot read ${where}: the pack is truncated`);
  }
  for (let i = 0; i < CHUNK_ID_BYTES; i++) {
    if (header[i] !== id[i]) {
      throw new IntegrityError(`Cannot read ${where}: the record names another id`);
    }
  }
  const view = new DataView(header.buffer, header.byteOffset);
  const stored = view.getUint32(CHUNK_ID_BYTES);
  if (stored !== blob.length) {
    throw new IntegrityError(
      `Cannot read ${where}: the record length ${stored} is not ${blob.length}`,
    );
  }
  if (version === 2 && view.getUint32(CHUNK_ID_BYTES + 4) !== crc32(blob)) {
    throw new IntegrityError(`Cannot read ${where}: the blob does not match its checksum`);
  }
}

/** The bytes of an index file for pack `packId` (of `version`) listing `entries`. */
export function encodeIndex(
  packId: Uint8Array,
  entries: readonly IndexEntry[],
  version: PackVersion = PACK_VERSION,
): Uint8Array {
  const body = INDEX_HEAD_BYTES + entries.length * ENTRY_BYTES;
  const bytes = new Uint8Array(body + DIGEST_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(INDEX_MAGICS[version], 0);
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
  /** The version of the pack it indexes. */
  version: PackVersion;
  packId: Uint8Array;
  count: number;
  /**
   * Calls `visit` for each entry from position `from` up to (not including) `to` (default: all);
   * the entry's id is the 32 bytes of `bytes` (the index file's) at `at`.
   */
  forEach(
    visit: (bytes: Uint8Array, at: number, offset: number, length: number) => void,
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
  const version = startsWith(bytes, INDEX_MAGICS[2])
    ? 2
    : startsWith(bytes, INDEX_MAGICS[1])
    ? 1
    : undefined;
  if (version === undefined) throw damaged("not an index file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(8 + PACK_ID_BYTES);
  const body = INDEX_HEAD_BYTES + count * ENTRY_BYTES;
  if (bytes.length !== body + DIGEST_BYTES) throw damaged("the length does not match the count");
  if (!equalBytes(sha256(bytes.subarray(0, body)), bytes.subarray(body))) {
    throw damaged("the checksum does not match");
  }
  return {
    version,
    packId: bytes.subarray(8, 8 + PACK_ID_BYTES),
    count,
    forEach(visit, from = 0, to = count) {
      const end = INDEX_HEAD_BYTES + Math.min(to, count) * ENTRY_BYTES;
      for (let at = INDEX_HEAD_BYTES + from * ENTRY_BYTES; at < end; at += ENTRY_BYTES) {
        const high = view.getUint32(at + CHUNK_ID_BYTES);
        const low = view.getUint32(at + CHUNK_ID_BYTES + 4);
        const length = view.getUint32(at + CHUNK_ID_BYTES + 8);
        visit(bytes, at, high * 2 ** 32 + low, length);
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
