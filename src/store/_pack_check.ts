/**
 * Checking one sealed pack against its index without any key: the pack's bytes against the
 * SHA-256 its index kept at sealing, each record's header and (version 2) CRC-32, and that the
 * index lists exactly the records the pack holds, at the offsets and lengths the pack says.
 *
 * Invariant: it only reads; a pack is read whole, one at a time, so memory stays at one pack.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { CHUNK_ID_BYTES, toHex } from "../format/chunk_id.ts";
import { MAX_BLOB_BYTES } from "./chunk_store.ts";
import {
  type DecodedIndex,
  equalBytes,
  MAGIC_BYTES,
  type PackVersion,
  packVersionOf,
  recordHeaderBytes,
} from "./_pack_format.ts";

/** A blob of a pack whose record does not verify, and why. */
export interface DamagedBlob {
  /** The chunk id in hex, as the index names it. */
  id: string;
  reason: string;
}

/** What checking one pack found. */
export interface PackCheck {
  /** Whether the pack's bytes were compared with a SHA-256 kept at sealing. */
  hashChecked: boolean;
  /** Blobs the index lists. */
  blobs: number;
  /** Everything wrong with the pack as a whole (empty: healthy). */
  problems: string[];
  /** Blobs of the index whose record is damaged or absent. */
  damaged: DamagedBlob[];
}

interface Record {
  id: Uint8Array;
  length: number;
  crcOk: boolean;
}

/** Checks the pack file `bytes` against its decoded index. */
export function checkPack(bytes: Uint8Array, index: DecodedIndex): PackCheck {
  const problems: string[] = [];
  const hashChecked = index.packHash !== undefined;
  const hashOk = !hashChecked ||
    equalBytes(createHash("sha256").update(bytes).digest(), index.packHash!);
  if (!hashOk) problems.push("its bytes do not match the SHA-256 kept when it was sealed");
  const version = packVersionOf(bytes.subarray(0, MAGIC_BYTES));
  if (version !== index.version) {
    problems.push(`it is not a version ${index.version} pack, as its index says`);
  }
  const { records, stop } = readRecords(bytes, version ?? index.version);
  if (stop !== undefined) problems.push(stop);
  const damaged: DamagedBlob[] = [];
  const listed = new Set<number>();
  index.forEach((ids, at, offset, length) => {
    const id = ids.subarray(at, at + CHUNK_ID_BYTES);
    listed.add(offset);
    const reason = recordProblem(records.get(offset), id, length);
    if (reason !== undefined) damaged.push({ id: toHex(id), reason });
  });
  const unlisted = [...records.keys()].filter((offset) => !listed.has(offset)).length;
  if (unlisted > 0) problems.push(`${unlisted} records in it are not in its index`);
  if (!hashOk && damaged.length === 0) {
    // The damage is where no record check reaches: every blob of the pack is suspect.
    index.forEach((ids, at) => {
      damaged.push({
        id: toHex(ids.subarray(at, at + CHUNK_ID_BYTES)),
        reason: "in a damaged pack",
      });
    });
  }
  return { hashChecked, blobs: index.count, problems, damaged };
}

/** Why the record found at an index entry's offset is not that entry's, or undefined. */
function recordProblem(record: Record | undefined, id: Uint8Array, length: number) {
  if (record === undefined) return "no whole record starts at its offset";
  if (!equalBytes(record.id, id)) return "the record there names another id";
  if (record.length !== length) return `the record there is ${record.length} bytes, not ${length}`;
  return record.crcOk ? undefined : "the blob does not match its checksum";
}

/** Every whole record of the pack by offset, and why the walk stopped early, if it did. */
function readRecords(
  bytes: Uint8Array,
  version: PackVersion,
): { records: Map<number, Record>; stop: string | undefined } {
  const records = new Map<number, Record>();
  const headerBytes = recordHeaderBytes(version);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = MAGIC_BYTES;
  while (offset < bytes.length) {
    const where = `at offset ${offset}`;
    if (offset + headerBytes > bytes.length) {
      return { records, stop: `cut off in a record ${where}` };
    }
    const length = view.getUint32(offset + CHUNK_ID_BYTES);
    if (length > MAX_BLOB_BYTES) return { records, stop: `impossible record length ${where}` };
    const end = offset + headerBytes + length;
    if (end > bytes.length) return { records, stop: `cut off in a record ${where}` };
    const crcOk = version === 1 ||
      view.getUint32(offset + CHUNK_ID_BYTES + 4) === crc32(bytes.subarray(end - length, end));
    records.set(offset, { id: bytes.subarray(offset, offset + CHUNK_ID_BYTES), length, crcOk });
    offset = end;
  }
  return { records, stop: undefined };
}
