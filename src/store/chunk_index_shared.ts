/**
 * The chunk index several servers share (`PostgresChunkIndex`): one location per chunk id of a
 * repository, and its packs. Each server keeps the index in memory as a cache it can rebuild
 * (`S3ChunkStore` with `shared`): it loads everything at open and fetches what other servers
 * added since before it answers a listing or gives up on a lookup.
 *
 * Invariants: a pack's rows are added only once its object is complete; an id already located
 * keeps its first location (a blob two servers stored twice leaves a duplicate for a prune to
 * reclaim); rows are added in batches numbered in commit order (`seq`), so fetching the batches
 * above the last one seen never misses one; a repack removes packs and adds their replacement in
 * one step and raises the repository's `epoch`, which tells caches to drop the removed packs; a
 * blob set aside as damaged loses its row in the batch that records it, which tells caches to
 * drop its location.
 *
 * @module
 */
import type { PackVersion } from "./_pack_format.ts";

/** A sealed pack as the shared index knows it. */
export interface SharedPack {
  /** The pack id in hex. */
  name: string;
  version: PackVersion;
  /** Bytes of the pack object. */
  size: number;
}

/** Where one blob is stored. */
export interface SharedLocation {
  id: Uint8Array;
  offset: number;
  length: number;
}

/** Where a cache stands: the last batch it read, and the repository's epoch then. */
export interface SharedCursor {
  seq: number;
  epoch: number;
}

/** What changed since a cursor. */
export interface SharedChanges {
  cursor: SharedCursor;
  /** Every pack name now, when the epoch changed (packs a cache has and this lacks are gone). */
  packNames: Set<string> | null;
  /** Packs of the rows below that the cursor had not seen. */
  packs: SharedPack[];
  /** The locations added since, each with its pack's name. */
  rows: (SharedLocation & { pack: string })[];
  /** The blobs set aside as damaged since (empty when `cursor` was null). */
  setAside: { pack: string; id: Uint8Array }[];
}

/** The chunk index of one repository, shared by every server of a service. */
export interface SharedChunkIndex {
  /** What changed after `cursor`; everything when it is null. */
  changesSince(cursor: SharedCursor | null): Promise<SharedChanges>;
  /**
   * Records sealed pack `pack` and its blobs in one transaction; ids located already keep their
   * location. @returns those ids' locations (elsewhere), which the caller should use instead
   */
  addPack(
    pack: SharedPack,
    blobs: SharedLocation[],
  ): Promise<(SharedLocation & { pack: string })[]>;
  /**
   * After a repack: removes the packs `removed` with their rows, adds `added` with their blobs,
   * and raises the epoch, in one transaction.
   */
  replacePacks(
    removed: string[],
    added: { pack: SharedPack; blobs: SharedLocation[] }[],
  ): Promise<void>;
  /**
   * Sets aside the blobs `blobs` (each in the pack it names) as damaged, in one transaction:
   * records each, and removes its row, so no server lists or serves it again and the next push
   * stores it anew; a blob whose row names another pack (moved, or stored again) is left alone,
   * and none beyond `max` set aside in all.
   * @returns the blobs set aside
   */
  setAside(
    blobs: readonly { pack: string; id: Uint8Array }[],
    max: number,
  ): Promise<{ pack: string; id: Uint8Array }[]>;
}
