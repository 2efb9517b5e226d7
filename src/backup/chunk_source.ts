/**
 * Where the restorer and the archive exporters get file content from.
 *
 * @module
 */

/**
 * A source of verified chunk plaintext, by chunk id.
 *
 * Contract of `fetch(ids)`:
 * - yields exactly `ids.length` items, the plaintext of each id in the order given; an id that
 *   appears twice is yielded twice;
 * - every item is verified (decrypted, decompressed, its keyed id recomputed and compared) before
 *   it is yielded; a chunk that does not verify makes the iterator throw IntegrityError at that
 *   chunk's position, after yielding the chunks before it and never yielding the bad one;
 * - it may read ahead (pipeline requests) but must bound what it holds in memory, since `ids`
 *   can name a whole large file;
 * - every item is the caller's own buffer, never yielded again or used by the source: the
 *   caller may keep it, or free it at once (`releaseBytes`) when done with it;
 * - the caller may stop early (`return()` on the iterator, e.g. after an error): the
 *   implementation then releases what it holds and stops fetching;
 * - the caller runs one `fetch` at a time and drains it (or stops) before the next; callers batch
 *   the ids of many small files into one call so a networked source can pipeline them;
 * - `plainSizes`, when given, holds a guess of each id's plaintext size (a file's size over its
 *   chunk count): a networked source may size its requests by it, and must not trust it for
 *   anything else.
 */
export interface ChunkSource {
  /**
   * The verified plaintext of each chunk id (32 bytes each), in order.
   *
   * @param plainSizes a guess of each id's plaintext size, index for index with `ids`
   * @throws {IntegrityError} (from the iterator) at the first chunk that does not verify
   */
  fetch(ids: Uint8Array[], plainSizes?: readonly number[]): AsyncIterable<Uint8Array>;
}
