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
 * One item of a fetch: the chunk's verified plaintext, or the IntegrityError saying why it has
 * none (a MissingChunkError when the source does not have it).
 */
export type ChunkItem = Uint8Array | IntegrityError;

/**
 * A source of verified chunk plaintext, by chunk id.
 *
 * Contract of `fetch(chunks)`:
 * - yields one item per element of `chunks`, for each id in the order given; an id that appears
 *   twice is yielded twice;
 * - reads `chunks` lazily, ahead of what it has yielded only as far as its read-ahead, so a
 *   caller can generate it on the fly (a whole tree's chunks in one call, with no pause in the
 *   pipeline between files); if iterating `chunks` throws, the items before are still yielded
 *   and the iterator then throws that error;
 * - every plaintext is verified (decrypted, decompressed, its keyed id recomputed and compared)
 *   before it is yielded; a chunk that does not verify, or that the source does not have, is
 *   yielded as an IntegrityError at its position (each time its id is asked for), never as
 *   bytes, and the fetch goes on with the next id: one damaged chunk costs only what needs it;
 * - the iterator throws only when it cannot go on (the connection failed, the source broke its
 *   protocol, or iterating `chunks` threw);
 * - it may read ahead (pipeline requests) but must bound what it holds in memory, since `chunks`
 *   can name a whole large tree;
 * - every plaintext is the caller's own buffer, never yielded again or used by the source: the
 *   caller may keep it, or free it at once (`releaseBytes`) when done with it;
 * - the caller may stop early (`return()` on the iterator, e.g. after an error): the
 *   implementation then releases what it holds, stops fetching and stops reading `chunks`;
 * - the caller runs one `fetch` at a time and drains it (or stops) before the next.
 */
export interface ChunkSource {
  /**
   * The verified plaintext of each wanted chunk, in order, or the error of each that has none.
   *
   * @throws (from the iterator) only when fetching cannot go on, e.g. NetworkError
   */
  fetch(chunks: Iterable<ChunkWant>): AsyncIterable<ChunkItem>;
}
