/**
 * Reading a pack's own records, for a pack whose index is missing or damaged: each record header
 * carries its id and length, so the index can be rebuilt from the pack alone. The scan stops at
 * the first record that cannot be whole (cut off, or a length past the largest blob).
 *
 * @module
 */
import { MAX_BLOB_BYTES } from "./chunk_store.ts";
import { CHUNK_ID_BYTES } from "../format/chunk_id.ts";
import { type IndexEntry, PACK_MAGIC, RECORD_HEADER_BYTES, startsWith } from "./_pack_format.ts";

/** The records found in a pack, and why the scan stopped where it did. */
export interface PackScan {
  entries: IndexEntry[];
  /** Undefined when the scan reached the end of the file cleanly. */
  damage: string | undefined;
}

/**
 * Lists the records of the pack file at `path`.
 * @returns null when the file does not start with the pack magic (it is not a pack)
 */
export async function scanPack(path: string): Promise<PackScan | null> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    const magic = new Uint8Array(PACK_MAGIC.length);
    if (await readAt(file, 0, magic) < magic.length || !startsWith(magic, PACK_MAGIC)) return null;
    const entries: IndexEntry[] = [];
    const header = new Uint8Array(RECORD_HEADER_BYTES);
    const view = new DataView(header.buffer);
    let offset = PACK_MAGIC.length;
    while (offset < size) {
      if (await readAt(file, offset, header) < header.length) {
        return { entries, damage: `cut off inside the header of record ${entries.length + 1}` };
      }
      const length = view.getUint32(CHUNK_ID_BYTES);
      if (length > MAX_BLOB_BYTES) {
        return { entries, damage: `record ${entries.length + 1} has an impossible length` };
      }
      if (offset + RECORD_HEADER_BYTES + length > size) {
        return { entries, damage: `cut off inside record ${entries.length + 1}` };
      }
      entries.push({ id: header.slice(0, CHUNK_ID_BYTES), offset, length });
      offset += RECORD_HEADER_BYTES + length;
    }
    return { entries, damage: undefined };
  } finally {
    file.close();
  }
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
