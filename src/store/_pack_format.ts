/**
 * Byte layouts of pack and index files (documented in docs/REPOSITORY.md).
 *
 * Pack, version 2: `"BRWPACK2"` then records `id (32 B) | length (u32 BE) | CRC-32 of the blob
 * (u32 BE) | blob`, so the server itself notices a record the disk damaged. Version 1
 * (`"BRWPACK1"`, records without the CRC) is still read.
 * Index: `"BRWIDX03" | pack id (16 B) | SHA-256 of the whole pack file (32 B) | count (u32 BE) |
 * count × (id (32 B) | offset (u64 BE) | length (u32 BE)) | SHA-256 of every preceding byte`.
 * `"BRWIDX02"` (a version 2 pack) and `"BRWIDX01"` (a version 1 pack) are the same without the
 * pack's SHA-256: written before packs were hashed, or rebuilt from a pack's records (whose bytes
 * cannot vouch for themselves). Offsets point at a record's header.
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
/** Magic at the start of an index file without the pack's SHA-256, by the version of its pack. */
export const INDEX_MAGICS: Readonly<Record<PackVersion, Uint8Array>> = {
  1: encoder.encode("BRWIDX01"),
  2: encoder.encode("BRWIDX02"),
};
/** Magic at the start of an index file that keeps its (version 2) pack's SHA-256. */
export const HASHED_INDEX_MAGIC: Uint8Array = encoder.encode("BRWIDX03");
/** Bytes of a magic. */
export const MAGIC_BYTES = 8;
/** Bytes of a pack id. */
export const PACK_ID_BYTES = 16;

const ENTRY_BYTES = CHUNK_ID_BYTES + 8 + 4;
const DIGEST_BYTES = 32;
/** Bytes before the entries: magic, pack id, the pack's SHA-256 when kept, count. */
const headBytes = (hashed: boolean) => 8 + PACK_ID_BYTES + (hashed ? DIGEST_BYTES : 0) + 4;

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

/**
 * The bytes of an index file for pack `packId` (of `version`) listing `entries`, keeping
 * `packHash` (the SHA-256 of the whole pack file, taken as it was written) when given.
 * @throws {RangeError} for a pack hash of a version 1 pack or of the wrong length
 */
export function encodeIndex(
  packId: Uint8Array,
  entries: readonly IndexEntry[],
  version: PackVersion = PACK_VERSION,
  packHash?: Uint8Array,
): Uint8Array {
  const hashed = packHash !== undefined;
  if (hashed && (version !== 2 || packHash.length !== DIGEST_BYTES)) {
    throw new RangeError("Cannot encode an index: a pack hash needs a version 2 pack and 32 bytes");
  }
  const head = headBytes(hashed);
  const body = head + entries.length * ENTRY_BYTES;
  const bytes = new Uint8Array(body + DIGEST_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(hashed ? HASHED_INDEX_MAGIC : INDEX_MAGICS[version], 0);
  bytes.set(packId, 8);
  if (hashed) bytes.set(packHash, 8 + PACK_ID_BYTES);
  view.setUint32(head - 4, entries.length);
  let at = head;
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
  /** The SHA-256 of the whole pack file kept at sealing, or undefined (an older or rebuilt index). */
  packHash: Uint8Array | undefined;
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
  const hashed = startsWith(bytes, HASHED_INDEX_MAGIC);
  const head = headBytes(hashed);
  if (bytes.length < head + DIGEST_BYTES) throw damaged("the file is truncated");
  const version = hashed || startsWith(bytes, INDEX_MAGICS[2])
    ? 2
    : startsWith(bytes, INDEX_MAGICS[1])
    ? 1
    : undefined;
  if (version === undefined) throw damaged("not an index file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(head - 4);
  const body = head + count * ENTRY_BYTES;
  if (bytes.length !== body + DIGEST_BYTES) throw damaged("the length does not match the count");
  if (!equalBytes(sha256(bytes.subarray(0, body)), bytes.subarray(body))) {
    throw damaged("the checksum does not match");
  }
  return {
    version,
    packId: bytes.subarray(8, 8 + PACK_ID_BYTES),
    packHash: hashed
      ? bytes.subarray(8 + PACK_ID_BYTES, 8 + PACK_ID_BYTES + DIGEST_BYTES)
      : undefined,
    count,
    forEach(visit, from = 0, to = count) {
      const end = head + Math.min(to, count) * ENTRY_BYTES;
      for (let at = head + from * ENTRY_BYTES; at < end; at += ENTRY_BYTES) {
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

/** Whether `a` and `b` hold the same bytes (not constant-time: for checksums, not secrets). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}
