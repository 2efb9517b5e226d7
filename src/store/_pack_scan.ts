/**
 * Reading a pack's own records, for a pack whose index is missing or damaged: each record header
 * carries its id and length, so the index can be rebuilt from the pack alone. The scan stops at
 * the first record that cannot be whole (cut off, or a length past the largest blob); in a
 * version 2 pack it also checks each blob against its checksum.
 *
 * @module
 */
import { MAX_BLOB_BYTES } from "./chunk_store.ts";
import { crc32 } from "node:zlib";
import { CHUNK_ID_BYTES } from "../format/chunk_id.ts";
import {
  type IndexEntry,
  MAGIC_BYTES,
  type PackVersion,
  packVersionOf,
  recordHeaderBytes,
} from "./_pack_format.ts";

/** The records found in a pack, its version, and why the scan stopped where it did. */
export interface PackScan {
  version: PackVersion;
  /** The records that are whole (and, in version 2, match their checksum). */
  entries: IndexEntry[];
  /** Undefined when every record was whole and the scan reached the end of the file cleanly. */
  damage: string | undefined;
}

/** Reads bytes of a pack at `offset` into `target`; resolves to how many (fewer at the end). */
export type PackReadAt = (offset: number, target: Uint8Array) => Promise<number>;

/**
 * Lists the records of the pack file at `path` (see {@link scanPackWith}).
 * @returns null when the file does not start with a pack magic (it is not a pack)
 */
export async function scanPack(path: string): Promise<PackScan | null> {
  const file = await Deno.open(path, { read: true });
  try {
    return await scanPackWith(
      (await file.stat()).size,
      (offset, target) => readAt(file, offset, target),
    );
  } finally {
    file.close();
  }
}

/**
 * Lists the records of the pack of `size` bytes that `read` reads. A version 2 record whose blob
 * does not match its checksum is left out (and said in `damage`), and the scan goes on after it.
 * @returns null when the pack does not start with a pack magic (it is not a pack)
 */
export async function scanPackWith(size: number, read: PackReadAt): Promise<PackScan | null> {
  const magic = new Uint8Array(MAGIC_BYTES);
  const version = await read(0, magic) < magic.length ? undefined : packVersionOf(magic);
  if (version === undefined) return null;
  const headerBytes = recordHeaderBytes(version);
  const entries: IndexEntry[] = [];
  const header = new Uint8Array(headerBytes);
  const view = new DataView(header.buffer);
  const mismatched: number[] = [];
  let offset = MAGIC_BYTES;
  let records = 0;
  const result = (stop?: string): PackScan => {
    const bad = mismatched.length === 0
      ? undefined
      : `record${mismatched.length === 1 ? "" : "s"} ${mismatched.join(", ")} do${
        mismatched.length === 1 ? "es" : ""
      } not match ${mismatched.length === 1 ? "its" : "their"} checksum`;
    const damage = [bad, stop].filter((part) => part !== undefined).join("; ");
    return { version, entries, damage: damage === "" ? undefined : damage };
  };
  while (offset < size) {
    records++;
    if (await read(offset, header) < header.length) {
      return result(`cut off inside the header of record ${records}`);
    }
    const length = view.getUint32(CHUNK_ID_BYTES);
    if (length > MAX_BLOB_BYTES) return result(`record ${records} has an impossible length`);
    if (offset + headerBytes + length > size) return result(`cut off inside record ${records}`);
    const id = header.slice(0, CHUNK_ID_BYTES);
    if (version === 2) {
      const blob = new Uint8Array(length);
      await read(offset + headerBytes, blob);
      if (view.getUint32(CHUNK_ID_BYTES + 4) !== crc32(blob)) mismatched.push(records);
      else entries.push({ id, offset, length });
    } else entries.push({ id, offset, length });
    offset += headerBytes + length;
  }
  return result();
}

async function readAt(file: Deno.FsFile, offset: number, target: Uint8Array): Promise<number> {
  await file.seek(offset, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < target.length) {
    const count = await file.read(target.subarray(filled));
    if (count === null || count === 0) break;
    filled += count;
  }
  return filled;
}
