/**
 * The chunker's gear tables: 256 pseudo-random 32-bit values, one per byte value, that the gear
 * hash adds up. Which table a repository uses is fixed by its key file's version
 * (`master_key.ts`):
 *
 * - **Fixed** (key file version 1): for counter c = 0..31, SHA-256("burrow gear v1" ‖
 *   uint32be(c)) read as eight big-endian 32-bit integers; entry 8c + k is the k-th of them.
 *   Public, so anyone can compute where it cuts a known file.
 * - **Keyed** (version 2): the same with HMAC-SHA-256(chunker key, "burrow gear v2" ‖
 *   uint32be(c)), the chunker key being derived from the repository's master key. Without the key
 *   the cut points, and so the sequence of chunk sizes, of a known file cannot be predicted.
 *
 * STABILITY: every chunk boundary in a repository depends on its table. Changing a derivation
 * changes where files are cut, so new backups would stop deduplicating against the chunks already
 * stored. Both are pinned by tests; a new derivation needs a new key file version.
 *
 * @module
 */
import { primitives } from "#primitives";
import { assertLength } from "./_bytes.ts";

/** A gear table: exactly `GEAR_TABLE_ENTRIES` signed 32-bit values. Treat it as read-only. */
export type GearTable = Int32Array;

/** Entries of a gear table: one per byte value. */
export const GEAR_TABLE_ENTRIES = 256;

/** Bytes of the key a keyed gear table is derived from. */
export const CHUNKER_KEY_BYTES = 32;

const FIXED_LABEL = "burrow gear v1";
const KEYED_LABEL = "burrow gear v2";
/** 32-byte digests, eight entries each. */
const BLOCKS = GEAR_TABLE_ENTRIES / 8;

/** Fills a table from `BLOCKS` 32-byte digests of label ‖ uint32be(counter). */
function tableFrom(label: string, digest: (input: Uint8Array) => Uint8Array): GearTable {
  const table = new Int32Array(GEAR_TABLE_ENTRIES);
  const encoded = new TextEncoder().encode(label);
  const input = new Uint8Array(encoded.length + 4);
  input.set(encoded);
  const counter = new DataView(input.buffer, encoded.length, 4);
  for (let c = 0; c < BLOCKS; c++) {
    counter.setUint32(0, c);
    const block = digest(input);
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    for (let k = 0; k < 8; k++) table[c * 8 + k] = view.getInt32(k * 4);
  }
  return table;
}

let fixed: GearTable | undefined;

/**
 * The fixed, public table of repositories whose key file is version 1, computed on first use
 * (the web page never chunks, and a cold hash on its start-up path was measurable). Always the
 * same array: treat it as read-only.
 */
export function fixedGearTable(): GearTable {
  fixed ??= tableFrom(FIXED_LABEL, (input) => primitives.sha256(input));
  return fixed;
}

/**
 * The table keyed by `chunkerKey` (see the module comment).
 *
 * @throws {RangeError} when the key is not 32 bytes
 */
export function keyedGearTable(chunkerKey: Uint8Array): GearTable {
  assertLength("chunker key", chunkerKey, CHUNKER_KEY_BYTES);
  const hmac = primitives.hmacSha256(chunkerKey);
  return tableFrom(KEYED_LABEL, (input) => hmac.digest(input));
}
