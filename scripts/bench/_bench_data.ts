/**
 * Benchmark input that no layer below can shortcut: every byte comes from an AES-256-CTR
 * keystream keyed by a seed string, so each file is unique (a deduplicating disk or page cache
 * cannot fold two of them) and the same seed always gives the same bytes. "Text-like" files are
 * lines of words and hex picked by that keystream: unique yet compressible, as logs and code are.
 *
 * @module
 */
import { createCipheriv, createHash } from "node:crypto";

const BLOCK = 8 * 1024 * 1024;
const ZEROS = new Uint8Array(BLOCK);

/** A deterministic stream of pseudo-random bytes. */
export class Keystream {
  readonly #cipher;

  constructor(seed: string) {
    const key = createHash("sha256").update(`burrow bench ${seed}`).digest();
    this.#cipher = createCipheriv("aes-256-ctr", key, new Uint8Array(16));
  }

  /** The next `length` bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += BLOCK) {
      const n = Math.min(BLOCK, length - at);
      out.set(this.#cipher.update(ZEROS.subarray(0, n)), at);
    }
    return out;
  }

  /** A uniform integer in [min, max]. */
  between(min: number, max: number): number {
    const [a = 0, b = 0, c = 0, d = 0] = this.bytes(4);
    return min + (((a << 24) | (b << 16) | (c << 8) | d) >>> 0) % (max - min + 1);
  }
}

const WORDS = (
  "backup server client chunk pack snapshot restore archive folder file index login user key " +
  "cipher nonce stream frame reply error retry timeout commit verify manifest size time mode " +
  "const let return async await function export import interface class string number boolean " +
  "the of and to in is that for with as on by at from this be not or are it was an which all"
).split(" ");
const LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];

/** `length` bytes of unique, compressible, log-like text. */
export function textLike(length: number, stream: Keystream): Uint8Array {
  const random = stream.bytes(Math.ceil(length / 2) + 64);
  const parts: string[] = [];
  let produced = 0;
  let at = 0;
  const next = () => random[at++ % random.length]!;
  while (produced < length) {
    const hex = (next() << 16 | next() << 8 | next()).toString(16).padStart(6, "0");
    const words: string[] = [];
    for (let n = 4 + (next() & 7); n > 0; n--) words.push(WORDS[next() % WORDS.length]!);
    const line = `${LEVELS[next() % LEVELS.length]} req=${hex} ${words.join(" ")} took=${
      next() * 7
    }ms\n`;
    parts.push(line);
    produced += line.length;
  }
  return new TextEncoder().encode(parts.join("")).subarray(0, length);
}

/** What {@link makeTree} wrote. */
export interface TreeStats {
  files: number;
  bytes: number;
}

/**
 * Writes a folder of about `totalBytes`: `smallFiles` files of 1–64 KiB in 10 subfolders, half
 * text-like and half random, then four files of about 2–5 MiB (text, random, text, random)
 * sized to make up the rest. Every byte is unique to `seed`.
 */
export async function makeTree(
  dir: string,
  seed: string,
  totalBytes: number,
  smallFiles = 200,
): Promise<TreeStats> {
  const stream = new Keystream(seed);
  let bytes = 0;
  for (let i = 0; i < smallFiles; i++) {
    const sub = `${dir}/d${i % 10}`;
    if (i < 10) await Deno.mkdir(sub, { recursive: true });
    const size = stream.between(1024, 64 * 1024);
    const data = i % 2 === 0 ? textLike(size, stream) : stream.bytes(size);
    await Deno.writeFile(`${sub}/f${i}.${i % 2 === 0 ? "txt" : "bin"}`, data);
    bytes += size;
  }
  const rest = Math.max(0, totalBytes - bytes);
  const weights = [0, 1, 2, 3].map(() => stream.between(80, 120));
  const sum = weights.reduce((a, b) => a + b, 0);
  for (const [i, weight] of weights.entries()) {
    const size = Math.floor((rest * weight) / sum);
    const text = i % 2 === 0;
    const data = text ? textLike(size, stream) : stream.bytes(size);
    await Deno.writeFile(`${dir}/large${i}.${text ? "log" : "bin"}`, data);
    bytes += size;
  }
  return { files: smallFiles + weights.length, bytes };
}

/** Writes `bytes` of unique incompressible data to `path`, 8 MiB at a time. */
export async function writeRandomFile(path: string, bytes: number, seed: string): Promise<void> {
  const stream = new Keystream(seed);
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let at = 0; at < bytes; at += BLOCK) {
    const block = stream.bytes(Math.min(BLOCK, bytes - at));
    for (let written = 0; written < block.length;) {
      written += await file.write(block.subarray(written));
    }
  }
  await file.sync();
}
