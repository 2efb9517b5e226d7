/**
 * Readies the WebAssembly code of the `#primitives` back end, for the threads that open many
 * blobs (a pull's open workers, the page's download worker).
 *
 * @module
 */
import { primitives } from "#primitives";

/**
 * Loads the back end's WebAssembly code (idempotent, never rejects; until it has loaded, and
 * where it cannot, the same calls give the same results more slowly). On the command line it
 * loads a zstd decoder that reuses its memory, where node:zlib's would leave a native engine per
 * call for the garbage collector; in the web page, SHA-256 (and so the chunk id check), which
 * runs several times faster than in JavaScript there.
 */
export function loadWebAssembly(): Promise<void> {
  return primitives.loadWebAssembly();
}
