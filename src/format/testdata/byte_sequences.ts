/**
 * Deterministic bytes for the format's test vectors: counting sequences and a counting stand-in
 * for randomness, so that pinned salts and nonces are easy to read back.
 *
 * @module
 */

/** Bytes start, start+1, … (mod 256). */
export function seq(length: number, start = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

/** A deterministic source: successive calls return successive runs of 0, 1, 2, … */
export function counterRandom(): (length: number) => Uint8Array {
  let next = 0;
  return (length) => {
    const bytes = seq(length, next);
    next += length;
    return bytes;
  };
}
