/**
 * Helpers shared by this folder's tests: a seeded generator, byte concatenation and a fake
 * connection with short reads and partial writes.
 *
 * @module
 */
import { concatBytes } from "../concat_bytes.ts";
import type { ByteStream } from "./frame_stream.ts";

/** A seeded pseudo-random generator (mulberry32): same seed, same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of a `FakeConn`. */
export interface FakeConnOptions {
  /** Bytes its reads return, then end of stream. */
  incoming?: Uint8Array;
  /** Most bytes one read returns; default 16 KiB. Each read returns 1..max at random. */
  maxRead?: number;
  /** Most bytes one write takes; default 63 KiB. Each write takes 1..max at random. */
  maxWrite?: number;
  seed?: number;
  /** Let timers run before each write completes (a macrotask), not just microtasks. */
  slowWrites?: boolean;
}

/** An in-memory `ByteStream` that reads short and writes partially, yielding on every call. */
export class FakeConn implements ByteStream {
  readonly written: Uint8Array[] = [];
  readonly writeSizes: number[] = [];
  closed = false;
  #incoming: Uint8Array;
  #offset = 0;
  readonly #maxRead: number;
  readonly #maxWrite: number;
  readonly #random: () => number;
  readonly #slowWrites: boolean;

  constructor(options: FakeConnOptions = {}) {
    this.#incoming = options.incoming ?? new Uint8Array(0);
    this.#maxRead = options.maxRead ?? 16 * 1024;
    this.#maxWrite = options.maxWrite ?? 63 * 1024;
    this.#random = seededRandom(options.seed ?? 1);
    this.#slowWrites = options.slowWrites ?? false;
  }

  async read(p: Uint8Array): Promise<number | null> {
    await Promise.resolve();
    if (this.closed) throw new Error("Cannot read: closed");
    if (this.#offset === this.#incoming.length) return null;
    const max = Math.min(p.length, this.#maxRead, this.#incoming.length - this.#offset);
    const n = 1 + Math.floor(this.#random() * max);
    p.set(this.#incoming.subarray(this.#offset, this.#offset + n));
    this.#offset += n;
    return n;
  }

  async write(p: Uint8Array): Promise<number> {
    await (this.#slowWrites ? new Promise((resolve) => setTimeout(resolve, 0)) : Promise.resolve());
    if (this.closed) throw new Error("Cannot write: closed");
    const n = Math.min(p.length, 1 + Math.floor(this.#random() * this.#maxWrite));
    this.written.push(p.slice(0, n));
    this.writeSizes.push(n);
    return n;
  }

  close(): void {
    this.closed = true;
  }

  /** Everything written so far. */
  output(): Uint8Array {
    return concatBytes(this.written);
  }
}

/** `length` bytes of a repeatable pattern that differs per `seed`. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7 + (i >>> 8)) & 0xff;
  return bytes;
}

/** Whether `a` and `b` hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
