/**
 * Speed of the repository's per-chunk CPU work: chunk ids, sealing, opening, compression.
 * Prints MiB per CPU-second (process CPU time, so other load on the machine distorts it less
 * than wall time would), the median of 5 runs, each over 128 MiB of input.
 *
 * Usage: deno run -A scripts/bench/blob_speed.ts
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { createCipheriv, createHmac } from "node:crypto";
import { cpuUsage } from "node:process";
import { BlobOpener, BlobSealer, chunkId, ChunkIdHasher } from "../../src/format/blob_crypto.ts";
import { compressChunk } from "../../src/format/compression.ts";
import { decompressChunk } from "../../src/format/decompression.ts";

const MiB = 1024 * 1024;
const RUNS = 5;
const BYTES_PER_RUN = 128 * MiB;

interface Case {
  name: string;
  size: number;
  op: () => void;
  iterations: number;
  speeds: number[];
}
const cases: Case[] = [];

/** Registers `op` over inputs of `size` bytes; {@link runAll} measures it. */
function bench(name: string, size: number, op: () => void, bytesPerRun = BYTES_PER_RUN): void {
  const iterations = Math.max(1, Math.ceil(bytesPerRun / size));
  cases.push({ name, size, op, iterations, speeds: [] });
}

/**
 * Runs every case 5 times, round-robin so that drifting load on the machine hits all cases
 * alike, and prints each median in MiB per CPU-second.
 */
function runAll(): void {
  for (const c of cases) c.op(); // warm up
  for (let run = 0; run < RUNS; run++) {
    for (const c of cases) {
      const start = cpuUsage();
      for (let i = 0; i < c.iterations; i++) c.op();
      const used = cpuUsage(start);
      c.speeds.push((c.iterations * c.size) / MiB / ((used.user + used.system) / 1e6));
    }
  }
  for (const c of cases) {
    const median = c.speeds.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
    console.log(`${c.name.padEnd(36)} ${median.toFixed(0).padStart(6)} MiB/CPU-s`);
  }
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(length, at + 65536)));
  }
  return bytes;
}

/** Source-code-like text: varied lines, compressing about 4:1 at zstd level 1. */
function textBytes(length: number): Uint8Array {
  const words = ["const", "return", "chunk", "blob", "await", "function", "if", "the", "seal"];
  let text = "";
  for (let i = 0; text.length < length; i++) {
    const n = (i * 2654435761) >>> 0;
    text += `  ${words[n % 9]} ${words[(n >> 8) % 9]}_${n % 1000} = ${
      words[(n >> 16) % 9]
    }(${i});\n`;
  }
  return new TextEncoder().encode(text.slice(0, length));
}

const key = randomBytes(32);
const id = randomBytes(32);
const sealer = new BlobSealer(key);
const opener = new BlobOpener(key);
const hasher = new ChunkIdHasher(key);
const random1M = randomBytes(MiB);
const text1M = textBytes(MiB);

for (const size of [MiB, 32 * 1024, 4 * 1024]) {
  const payload = random1M.subarray(0, size);
  const label = size >= MiB ? "1 MiB" : `${size / 1024} KiB`;
  bench(`chunkId ${label}`, size, () => chunkId(key, payload));
  bench(`ChunkIdHasher.id ${label}`, size, () => hasher.id(payload));
  bench(`  createHmac ${label}`, size, () => createHmac("sha256", key).update(payload).digest());
  bench(`seal ${label}`, size, () => sealer.seal(id, payload, false));
  bench(`  raw cipher (no copy) ${label}`, size, () => rawSeal(payload));
  const blob = sealer.seal(id, payload, false);
  bench(`open ${label}`, size, () => opener.open(id, blob));
}
const textResult = compressChunk(text1M);
bench("compressChunk text 1 MiB", MiB, () => compressChunk(text1M), 64 * MiB);
bench("compressChunk random 1 MiB", MiB, () => compressChunk(random1M));
bench("decompressChunk text 1 MiB", MiB, () => decompressChunk(textResult.data, MiB), 64 * MiB);
console.log(`text ratio: ${(text1M.length / textResult.data.length).toFixed(2)}:1`);
runAll();

/** Sealing without the header, AAD or copy: what seal() could save at most. */
function rawSeal(payload: Uint8Array): void {
  const cipher = createCipheriv("chacha20-poly1305", key, id.subarray(0, 12), {
    authTagLength: 16,
  });
  cipher.update(payload);
  cipher.final();
  cipher.getAuthTag();
}
