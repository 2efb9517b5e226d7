/**
 * Byte helpers shared by the repository's cryptography.
 *
 * @module
 */

/**
 * The bytes as a Uint8Array that owns its whole ArrayBuffer: node:zlib returns views into
 * larger scratch buffers (16 KiB for a 20-byte result), which would pin memory and transfer
 * more than intended to a worker. Copies only when the view does not already own its buffer.
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return new Uint8Array(bytes.buffer, 0, bytes.byteLength);
  }
  return new Uint8Array(bytes);
}

/**
 * Checks that a key or id argument has the expected length.
 *
 * @throws {RangeError} when it does not
 */
export function assertLength(what: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) {
    throw new RangeError(`Cannot use the ${what}: it is ${bytes.length} bytes, not ${length}`);
  }
}

/**
 * Whether `a` and `b` hold the same bytes, in time that depends only on their lengths (for
 * secrets and the ids that authenticate chunks).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
