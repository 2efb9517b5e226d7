/**
 * The chunker's fixed gear table: 256 pseudo-random 32-bit values, one per byte value.
 *
 * Derivation (computed once at module load, pinned by a test): for counter c = 0..31, take
 * SHA-256("burrow gear v1" || uint32be(c)) and read its 32 bytes as eight big-endian 32-bit
 * integers; entry 8c + k is the k-th of them.
 *
 * STABILITY: every chunk boundary in every repository depends on these values. Changing the
 * derivation changes where files are cut, so new backups would stop deduplicating against the
 * chunks already stored. Never change it; a new table needs a new repository format version.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The label hashed with each counter to derive the table. */
const GEAR_LABEL = "burrow gear v1";

function deriveGearTable(): Int32Array {
  const table = new Int32Array(256);
  const label = new TextEncoder().encode(GEAR_LABEL);
  const input = new Uint8Array(label.length + 4);
  input.set(label);
  const counter = new DataView(input.buffer, label.length, 4);
  for (let c = 0; c < 32; c++) {
    counter.setUint32(0, c);
    const digest = createHash("sha256").update(input).digest();
    const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
    for (let k = 0; k < 8; k++) table[c * 8 + k] = view.getInt32(k * 4);
  }
  return table;
}

/**
 * The gear table as signed 32-bit integers (an Int32Array keeps the hot loop in int32
 * arithmetic). Treat it as read-only.
 */
export const GEAR: Int32Array = deriveGearTable();
