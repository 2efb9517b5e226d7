/**
 * Where the restorer and the archive exporters get file content from.
 *
 * @module
 */
import { IntegrityError } from "../errors.ts";

/** A chunk the source does not have at all (lost or damaged where it is kept). */
export class MissingChunkError extends IntegrityError {}

/** One chunk a caller wants: its id (32 bytes) and, if known, a guess of its plaintext size. */
export interface ChunkWant {
  id: Uint8Array;
  /**
   * A guess of the plaintext size (a file's size over its chunk count): a networked source may
   * size its requests by it, and must not trust it for anything else.
   */
  plainSize?: number;
}

/**
 * A source of verified chunk plaintext, by chunk id.
 *
 * Contract of `fetch(chunks)`:
 * - yields one item per element of `chunks`, the plaintext of each id in the order given; an id
 *   that appears twice is yielded twice;
 * - reads `chunks` lazily, ahead of what it has yielded only as far as its read-ahead, so a
 *   caller can generate it on the fly (a whole tree's chunks in one call, with no pause in the
 *   pipeline between files); if iterating `chunks` throws, the items before are still yielded
 *   and the iterator then throws that error;
 * - every item is verified (decrypted, decompressed, its keyed id recomputed and compared) before
 *   it is yielded; a chunk that does not verify makes the iterator throw IntegrityError at that
 *   chunk's position, after yielding the chunks before it and never yielding the bad one;
 * - it may read ahead (pipeline requests) but must bound what it holds in memory, since `chunks`
 *   can name a whole large tree;
 * - every item is the caller's own buffer, never yielded again or used by the source: the
 *   caller may keep it, or free it at once (`releaseBytes`) when done with it;
 * - the caller may stop early (`return()` on the iterator, e.g. after an error): the
 *   implementation then releases what it holds, stops fetching and stops reading `chunks`;
 * - the caller runs one `fetch` at a time and drains it (or stops) before the next.
 */
export interface ChunkSource {
  /**
   * The verified plaintext of each wanted chunk, in order.
   *
   * @throws {IntegrityError} (from the iterator) at the first chunk that does not verify
   */
  fetch(chunks: Iterable<ChunkWant>): AsyncIterable<Uint8Array>;
}
