/**
 * Freeing large buffers at once. The push allocates short-lived buffers per chunk (cipher and
 * zstd output, sealed blobs once they are on the wire); left to the garbage collector they piled
 * up to hundreds of MiB per thread before it ran. Detaching a buffer frees its memory now.
 *
 * @module
 */

/**
 * Whether `bytes` spans the whole of an ArrayBuffer (not a shared one): such a buffer can be
 * freed at once, or moved to a worker rather than copied.
 */
export function ownsBuffer(bytes: Uint8Array): bytes is Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength;
}

/**
 * Frees the memory behind `bytes` now, when it owns its whole ArrayBuffer (a view into a shared
 * buffer is left alone). `bytes` (and every other view of that buffer) is empty afterwards.
 */
export function releaseBytes(bytes: Uint8Array): void {
  if (ownsBuffer(bytes)) bytes.buffer.transfer(0);
}

/**
 * Frees the whole ArrayBuffer behind `view` now, for a caller that owns all of that buffer
 * although `view` covers only part of it (a field of a decoded message, inside the frame payload
 * the decoder handed over). Every view of that buffer is empty afterwards.
 */
export function releaseBuffer(view: Uint8Array): void {
  if (view.buffer instanceof ArrayBuffer) view.buffer.transfer(0);
}
