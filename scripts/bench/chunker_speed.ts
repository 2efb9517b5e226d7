/**
 * Chunker speed: MiB/s of `findCut` (default parameters) over 256 MiB of pseudo-random data,
 * the median of 5 runs after a warm-up, with the fixed gear table (version-1 repositories) and
 * with a keyed one (new repositories).
 *
 * Usage: deno run -A scripts/bench/chunker_speed.ts [MIB]
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { createCipheriv } from "node:crypto";
import { findCut } from "../../src/format/chunker.ts";
import { fixedGearTable, type GearTable } from "../../src/format/gear_table.ts";
import { deriveRepositoryKeys, newMasterKey } from "../../src/format/master_key.ts";

const MiB = 1024 * 1024;
const RUNS = 5;

/** `size` bytes of AES-256-CTR keystream under a fixed key: incompressible, reproducible. */
function pseudoRandomBytes(size: number): Uint8Array {
  const cipher = createCipheriv("aes-256-ctr", new Uint8Array(32), new Uint8Array(16));
  const out = new Uint8Array(size);
  const zeros = new Uint8Array(MiB);
  for (let off = 0; off < size; off += MiB) {
    out.set(cipher.update(zeros.subarray(0, Math.min(MiB, size - off))), off);
  }
  return out;
}

/** Chunk all of `data` the way a streaming worker does; returns the number of chunks. */
function chunkAll(data: Uint8Array, gear: GearTable): number {
  let chunks = 0;
  for (let start = 0; start < data.length; chunks++) {
    start += findCut(data, start, data.length, true, gear);
  }
  return chunks;
}

const mib = Number(Deno.args[0] ?? "256");
const data = pseudoRandomBytes(mib * MiB);
const tables: [string, GearTable][] = [
  ["fixed", fixedGearTable()],
  ["keyed", deriveRepositoryKeys(newMasterKey()).gear],
];
for (const [name, gear] of tables) {
  chunkAll(data.subarray(0, 64 * MiB), gear); // warm-up, so the timed runs use optimized code
  const rates: number[] = [];
  let chunks = 0;
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    chunks = chunkAll(data, gear);
    rates.push(mib / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(RUNS / 2)] ?? 0;
  console.log(
    `findCut (${name} gear table): ${median.toFixed(0)} MiB/s median of ${RUNS} over ${mib} MiB ` +
      `(${chunks} chunks, runs ${rates.map((r) => r.toFixed(0)).join(", ")} MiB/s)`,
  );
}
