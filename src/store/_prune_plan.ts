/**
 * What a prune does to each sealed pack, decided from the in-memory index and the set of live
 * ids: a pack with no live blob goes, a pack whose unused share (every byte that is not a live
 * record: dead records, records set aside as damaged, the pack header) is above the threshold
 * is rewritten, any other pack stays whole. Read-only: it changes nothing.
 *
 * @module
 */
import type { IdSet } from "../format/id_set.ts";
import type { ChunkIndex } from "./_chunk_index.ts";
import { MAGIC_BYTES, type PackVersion, recordHeaderBytes } from "./_pack_format.ts";

/** The sealed packs of a store, by number, as a prune plan reads them. */
export interface SealedPacks {
  /** Every sealed pack, by number. */
  sealed(): Iterable<[number, { readonly version: PackVersion }]>;
  /** The size in bytes of sealed pack `pack` as stored. */
  fileBytes(pack: number): Promise<number>;
}

/** Use of one sealed pack. */
interface PackUsage {
  fileBytes: number;
  liveBytes: number;
  dead: Uint8Array[];
}

/** A prune's decision, and the totals before it and (estimated) after it. */
export interface PrunePlan {
  /** Dead ids in the packs to delete or rewrite: what `deleteChunks` gets. */
  doomed: Uint8Array[];
  packsBefore: number;
  bytesBefore: number;
  packsDeleted: number;
  packsRewritten: number;
  /** Bytes of dead records left in packs that stay whole. */
  unusedBytesKept: number;
  /** Estimates of the totals after the prune. */
  packsAfter: number;
  bytesAfter: number;
}

/**
 * Plans a prune of the sealed packs of `packs` (flush first: unsealed packs are not looked at).
 * `targetBytes` is the size of the packs a rewrite writes.
 */
export async function planPrune(
  index: ChunkIndex,
  packs: SealedPacks,
  live: IdSet,
  maxUnusedPercent: number,
  targetBytes: number,
): Promise<PrunePlan> {
  const usage = new Map<number, PackUsage & { version: PackVersion }>();
  for (const [pack, { version }] of packs.sealed()) {
    usage.set(pack, { fileBytes: await packs.fileBytes(pack), liveBytes: 0, dead: [], version });
  }
  for (const slot of index.slots()) {
    const pack = index.packOf(slot);
    const use = usage.get(pack);
    if (use === undefined) continue;
    const id = index.idOf(slot);
    if (live.has(id)) {
      use.liveBytes += recordHeaderBytes(use.version) + index.lengthOf(slot);
    } else use.dead.push(id);
  }
  const plan: PrunePlan = {
    doomed: [],
    packsBefore: usage.size,
    bytesBefore: 0,
    packsDeleted: 0,
    packsRewritten: 0,
    unusedBytesKept: 0,
    packsAfter: usage.size,
    bytesAfter: 0,
  };
  let rewrittenLive = 0;
  for (const use of usage.values()) {
    plan.bytesBefore += use.fileBytes;
    const unused = use.fileBytes - use.liveBytes;
    if (use.dead.length > 0 && use.liveBytes === 0) {
      plan.packsDeleted++;
    } else if (use.dead.length > 0 && unused * 100 > maxUnusedPercent * use.fileBytes) {
      plan.packsRewritten++;
      rewrittenLive += use.liveBytes;
    } else {
      if (use.dead.length > 0) plan.unusedBytesKept += unused;
      plan.bytesAfter += use.fileBytes;
      continue;
    }
    plan.doomed.push(...use.dead);
  }
  const written = rewrittenLive === 0 ? 0 : Math.ceil(rewrittenLive / targetBytes);
  plan.packsAfter = plan.packsBefore - plan.packsDeleted - plan.packsRewritten + written;
  plan.bytesAfter += rewrittenLive + written * MAGIC_BYTES;
  return plan;
}

/** How many sealed packs `packs` holds and their bytes on disk. */
export async function packTotals(packs: SealedPacks): Promise<{ packs: number; bytes: number }> {
  let count = 0;
  let bytes = 0;
  for (const [pack] of packs.sealed()) {
    count++;
    bytes += await packs.fileBytes(pack);
  }
  return { packs: count, bytes };
}
