/**
 * Test data for the chunk store tests: random ids, blobs cut from one random pool (contents need
 * not be unique: ids are opaque to a store), and a seeded size generator.
 *
 * @module
 */
import { seededRandom } from "../../src/protocol/_test_util.ts";

export { seededRandom };

/** An id and its blob. */
export type Chunk = [id: Uint8Array, blob: Uint8Array];

const POOL = crypto.getRandomValues(new Uint8Array(65536));

/** A fresh random 32-byte id. */
export function randomId(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

/** A blob of `length` bytes, distinct for distinct seeds (when 4 bytes or longer). */
export function blobOf(length: number, seed = 0): Uint8Array {
  const blob = new Uint8Array(length);
  let start = (seed * 7919) % POOL.length;
  for (let at = 0; at < length; start = 0) {
    const count = Math.min(length - at, POOL.length - start);
    blob.set(POOL.subarray(start, start + count), at);
    at += count;
  }
  if (length >= 4) new DataView(blob.buffer).setUint32(0, seed);
  return blob;
}

/** A view of `length` bytes of the random pool (at most 64 KiB), not a copy. */
export function poolView(length: number, seed: number): Uint8Array {
  const start = (seed * 7919) % (POOL.length - length + 1);
  return POOL.subarray(start, start + length);
}

/** `count` chunks of `size(i)` bytes each, with fresh random ids. */
export function makeChunks(count: number, size: (i: number) => number): Chunk[] {
  return Array.from({ length: count }, (_, i) => [randomId(), blobOf(size(i), i)]);
}

/** Log-uniform sizes between `min` and `max` bytes, from `random`. */
export function logUniform(random: () => number, min: number, max: number): number {
  return Math.floor(Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min))));
}

/** Hex of an id, for Map keys and messages. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
