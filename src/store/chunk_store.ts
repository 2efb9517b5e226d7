/**
 * The chunk store contract. A chunk store keeps, for one user, opaque sealed blobs (chunks the
 * client encrypted) under a 32-byte id the server cannot verify (the client's keyed hash).
 * Implementations (`PackChunkStore` on disk, `MemoryChunkStore` for tests) all pass
 * `tests/conformance/chunk_store_suite.ts`.
 *
 * Durability is explicit: `put` only queues a blob; `flush` makes everything put so far durable,
 * and a snapshot is committed only after the flush that covers its chunks has resolved. A crash
 * before that flush may lose blobs put since the previous flush, never a flushed one.
 *
 * @module
 */
import { checkChunkId, CHUNK_ID_BYTES } from "../format/chunk_id.ts";
import type { IdSet } from "../format/id_set.ts";

/** Largest blob a store accepts (chunks are at most ~4.1 MiB sealed; this is a sanity bound). */
export const MAX_BLOB_BYTES: number = 64 * 1024 * 1024;

/**
 * A per-user set of blobs keyed by 32-byte id.
 *
 * Ids and blobs are copied on the way in and on the way out: callers may reuse their buffers as
 * soon as a call returns. An id of the wrong length or a blob over `MAX_BLOB_BYTES` is a
 * `RangeError`. Any method may throw `StoreError` when the backend fails; after a failed write
 * (disk full, I/O error) a store stays broken (every later `put`, `flush` and `delete` throws the
 * same error) until it is closed and opened again, because the blobs lost with the failed write
 * may have been reported as stored to some caller. Calling any method but `close` after `close`
 * throws `StoreError`.
 */
export interface ChunkStore {
  /** Number of blobs stored (put in this process, or found at open), less deleted ones. */
  readonly size: number;
  /** Sum of the lengths of those blobs (not counting pack headers or space not yet reclaimed). */
  readonly storedBytes: number;
  /**
   * Blobs the store knows it cannot serve although it once stored them (their file is gone or
   * did not verify on read); 0 for a healthy store. A store opens without them, and a put of a
   * lost id stores it again.
   */
  readonly damaged: number;
  /**
   * Whether a blob with this id is stored. Synchronous: answered from memory. True for a blob
   * put in this process even before it is flushed.
   */
  has(id: Uint8Array): boolean;
  /**
   * Stores `blob` under `id`. Idempotent: an id already stored is skipped (the blob is not
   * compared). Atomic: concurrent puts never interleave bytes. Not durable until `flush`; may
   * wait while too much data is queued for the disk.
   * @returns true when stored, false when the id was already present.
   */
  put(id: Uint8Array, blob: Uint8Array): Promise<boolean>;
  /**
   * Makes every blob whose `put` resolved before this call durable: a crash after it resolves
   * loses none of them. This is what a snapshot commit waits for.
   * @throws {StoreError} when a write failed ("Cannot store chunks: disk full").
   */
  flush(): Promise<void>;
  /**
   * The blob stored under `id`, after checking what can be checked without the key (the stored
   * record names the same id and length as the index).
   * @throws {NotFoundError} when there is none.
   * @throws {IntegrityError} when the stored record is damaged or truncated.
   */
  get(id: Uint8Array): Promise<Uint8Array>;
  /**
   * The length of the blob stored under `id`, or undefined when there is none. Synchronous:
   * answered from memory, like `has`.
   */
  lengthOf(id: Uint8Array): number | undefined;
  /**
   * Reads the blob stored under `id` into `target`, which must be exactly `lengthOf(id)` bytes,
   * with the checks of `get`: for a reply that gathers many blobs into one buffer without a
   * buffer and a copy per blob. On a throw, `target` may hold part of the blob.
   * @throws {NotFoundError} when there is none.
   * @throws {IntegrityError} when the stored record is damaged or truncated.
   * @throws {RangeError} when `target` is not the blob's length.
   */
  readInto(id: Uint8Array, target: Uint8Array): Promise<void>;
  /**
   * Copies into `target`, from its start, a page of the stored ids in ascending byte order: the
   * ids above `after` (from the lowest when it is undefined), as many as `target` holds whole,
   * 32 bytes each (so a reply is built in place). Synchronous, answered from memory without
   * sorting: a page costs about its own size, however many blobs the store holds. Paging on from
   * the last id of each page lists every id stored throughout exactly once, in order, even when
   * puts and deletes come between pages; an id put or deleted meanwhile may or may not be listed.
   * @returns how many ids it copied, and whether stored ids above the last of them remain
   * @throws {RangeError} when `after` is not 32 bytes or `target` holds no whole id
   */
  listInto(after: Uint8Array | undefined, target: Uint8Array): IdPage;
  /**
   * Removes the blobs with these ids (unknown ids are ignored) and reclaims their space.
   * Crash-safe: a crash leaves each blob either deleted or still there, never a damaged store.
   * Blobs put while a delete runs may survive it.
   */
  delete(ids: Uint8Array[]): Promise<void>;
  /**
   * Removes every stored blob whose id is not in `live` and reclaims the space where it is worth
   * it: a pack holding no live blob is removed, a pack whose unused share (bytes that are not live
   * blobs) is above `maxUnusedPercent` is rewritten with its live blobs only, any other pack is
   * kept whole (its dead blobs stay stored and listed). Runs in turn with `delete`, with the same
   * crash safety; with `dryRun` nothing changes and the report says what would. The caller must
   * keep puts of blobs that a snapshot may name out while it runs (the server's prune lock).
   */
  prune(live: IdSet, options: PruneOptions): Promise<PruneReport>;
  /**
   * Sets aside the blobs of `ids` as damaged (a client found they do not open, or the store
   * found a record that does not verify): from then on, also after a restart, they are neither
   * listed nor served (`has` is false), so a put stores the id anew; the old bytes are kept for
   * a prune to reclaim. Ids not stored are ignored. Counted in `damaged` until stored again.
   * @returns how many blobs were set aside
   */
  markDamaged(ids: Uint8Array[]): Promise<number>;
  /**
   * Catches up with the blobs other servers sharing this store's index stored (and moved or
   * removed) since the last refresh, so `has`, `lengthOf` and listings see them; a store no
   * other server writes leaves it out. The server calls it before answering a listing.
   */
  refresh?(): Promise<void>;
  /**
   * A hint that the blobs of `ids` are about to be read, in any order: a store whose reads are
   * round trips (S3) may start fetching them together now. Reads still check every record as
   * `readInto` does; unknown ids are ignored; memory held for the hint is bounded by the store.
   */
  prefetch?(ids: readonly Uint8Array[]): void;
  /**
   * Flushes, then releases files and handles; rejects when the final flush fails (what was not
   * durable is lost, as with `flush`). Idempotent: a later call settles as the first did, and
   * rejects with the same error when the first failed, so no caller takes a failed close for a
   * clean one.
   */
  close(): Promise<void>;
}

/** Options of {@link ChunkStore.prune}. */
export interface PruneOptions {
  /** Largest unused share of a pack, 0–100, that is left as it is. */
  maxUnusedPercent: number;
  /** Only report what would be done. */
  dryRun: boolean;
}

/** What {@link ChunkStore.prune} did (or, for a dry run, would do: `…After` are estimates). */
export interface PruneReport {
  packsBefore: number;
  bytesBefore: number;
  packsAfter: number;
  bytesAfter: number;
  /** Packs removed because no blob in them was live. */
  packsDeleted: number;
  /** Packs rewritten without their unused blobs. */
  packsRewritten: number;
  /** Blobs removed (no longer listed). */
  blobsRemoved: number;
  /** Bytes of unused blobs left in packs under the threshold. */
  unusedBytesKept: number;
}

/** What {@link ChunkStore.listInto} copied. */
export interface IdPage {
  /** Ids copied to the start of the target. */
  count: number;
  /** Whether stored ids above the last one copied remain. */
  more: boolean;
}

/** Throws RangeError unless `after` is undefined or a chunk id, and `target` holds an id. */
export function checkPageRequest(after: Uint8Array | undefined, target: Uint8Array): void {
  if (after !== undefined) checkChunkId(after);
  if (!(target instanceof Uint8Array) || target.length < CHUNK_ID_BYTES) {
    throw new RangeError("Cannot list chunks: the page has no room for an id");
  }
}

/** Throws RangeError unless `blob` is a Uint8Array of at most `MAX_BLOB_BYTES`. */
export function checkBlob(blob: Uint8Array): void {
  if (!(blob instanceof Uint8Array) || blob.length > MAX_BLOB_BYTES) {
    throw new RangeError(`Cannot store blob: expected at most ${MAX_BLOB_BYTES} bytes`);
  }
}
