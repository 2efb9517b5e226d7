/**
 * Whether a chunk is all zero bytes: such a chunk is written as a hole (the file writer seeks
 * past it), so a sparse file comes back sparse. Fast on the common case: a chunk with data
 * answers at its first non-zero byte, usually the first.
 *
 * @module
 */

/** Whether `bytes` is non-empty and holds only zero bytes. */
export function isAllZero(bytes: Uint8Array): boolean {
  const length = bytes.length;
  if (length === 0 || bytes[0] !== 0 || bytes[length - 1] !== 0) return false;
  let at = 0;
  const head = Math.min(length, (4 - (bytes.byteOffset & 3)) & 3);
  for (; at < head; at++) if (bytes[at] !== 0) return false;
  const words = (length - at) >>> 2;
  if (words > 0) {
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + at, words);
    for (let i = 0; i < words; i++) if (view[i] !== 0) return false;
  }
  for (at += words * 4; at < length; at++) if (bytes[at] !== 0) return false;
  return true;
}
