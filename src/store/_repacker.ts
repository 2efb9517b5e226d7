/**
 * Deleting blobs from a pack store: each sealed pack that holds a doomed blob is rewritten
 * without it. The kept records of a group of such packs (at most a target's worth) go to one new
 * pack; the steps are: journal → new pack written, fsynced, renamed → new index (the commit
 * point) → old indexes removed (fsynced) → old packs removed → journal removed. A pack left with
 * nothing is just removed (index first). See `_repack_journal.ts` for recovery.
 *
 * @module
 */
import { writeFileAtomic } from "../atomic_file.ts";
import { BurrowError } from "../errors.ts";
import type { ChunkIndex } from "./_chunk_index.ts";
import { encodeIndex, type IndexEntry, PACK_VERSION, recordHeaderBytes } from "./_pack_format.ts";

/** Bytes of a record header in the packs a repack writes. */
const HEADER_BYTES = recordHeaderBytes(PACK_VERSION);
import { newPackId, PackPaths, removeIfPresent, storeFailure } from "./_pack_layout.ts";
import type { PackTable } from "./_pack_table.ts";
import { type FilePackSink, filePackWriter, type PackFileHooks } from "./_file_pack_sink.ts";
import type { PackWriter } from "./_pack_writer.ts";
import { removeJournal, removeSources, writeJournal } from "./_repack_journal.ts";
import type { WriteBudget } from "./_write_budget.ts";

/** Test hooks of a pack store: file operations and named points where a test may throw. */
export interface PackStoreHooks extends PackFileHooks {
  /**
   * Called at named steps: "seal:renamed"; in a delete or prune "prune:planned",
   * "repack:journaled", "repack:copying" (after each record copied), "repack:copied",
   * "repack:sealed", "repack:committed", "repack:indexes-removed", "repack:packs-removed",
   * "repack:done".
   */
  checkpoint(step: string): void | Promise<void>;
}

/** What choosing the blobs to delete and grouping their packs reads of a pack store. */
export interface RepackIndex {
  targetBytes: number;
  index: ChunkIndex;
  packs: { get(pack: number): { readonly sealed: boolean } | undefined };
}

/** What a repack needs from its store. */
export interface RepackContext extends RepackIndex {
  root: string;
  packs: PackTable;
  budget: WriteBudget;
  hooks: PackStoreHooks;
  /** Marks the store broken after a failure that left memory and disk out of step. */
  fail(error: unknown): void;
}

/** A blob to delete and where it was. */
export interface Doomed {
  id: Uint8Array;
  pack: number;
  offset: number;
  length: number;
}

/** Packs rewritten into one, and the index slots of the records they keep. */
export interface Group {
  packs: number[];
  kept: number[];
}

/** Removes `ids` (already flushed) from sealed packs; ids in unsealed packs are left alone. */
export function deleteChunks(ctx: RepackContext, ids: Uint8Array[]): Promise<void> {
  return deleteGrouped(ctx, ids, (group, doomed) => rewrite(ctx, group, doomed));
}

/**
 * Takes `ids` out of the index and has `rewrite` replace each group of their packs, in turn;
 * when a group fails, the blobs of the groups not rewritten yet are put back and it rethrows.
 */
export async function deleteGrouped(
  ctx: RepackIndex,
  ids: Uint8Array[],
  rewrite: (group: Group, doomed: Doomed[]) => Promise<void>,
): Promise<void> {
  const doomed = takeDoomed(ctx, ids);
  if (doomed.length === 0) return;
  const groups = groupPacks(ctx, new Set(doomed.map((entry) => entry.pack)));
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!;
    try {
      await rewrite(group, doomed.filter((entry) => group.packs.includes(entry.pack)));
    } catch (error) {
      const pending = new Set(groups.slice(i + 1).flatMap((g) => g.packs));
      restore(ctx, doomed.filter((entry) => pending.has(entry.pack)));
      throw error instanceof BurrowError ? error : storeFailure("delete chunks", error);
    }
  }
}

/** Takes the doomed blobs of sealed packs out of the index (so puts store them anew). */
export function takeDoomed(ctx: RepackIndex, ids: Uint8Array[]): Doomed[] {
  const doomed: Doomed[] = [];
  for (const id of ids) {
    const slot = ctx.index.find(id);
    if (slot < 0) continue;
    const pack = ctx.index.packOf(slot);
    if (ctx.packs.get(pack)?.sealed !== true) continue;
    const { index } = ctx;
    doomed.push({
      id: id.slice(),
      pack,
      offset: index.offsetOf(slot),
      length: index.lengthOf(slot),
    });
    index.remove(slot);
  }
  return doomed;
}

/** Puts doomed blobs whose delete did not happen back into the index. */
export function restore(ctx: RepackIndex, doomed: Doomed[]): void {
  for (const { id, pack, offset, length } of doomed) {
    if (ctx.index.find(id) < 0) ctx.index.add(id, pack, offset, length);
  }
}

/** Groups the affected packs so that each group's kept records fill at most one pack. */
export function groupPacks(ctx: RepackIndex, affected: Set<number>): Group[] {
  const kept = new Map<number, number[]>([...affected].map((pack) => [pack, []]));
  for (const slot of ctx.index.slots()) kept.get(ctx.index.packOf(slot))?.push(slot);
  const groups: Group[] = [];
  let group: Group = { packs: [], kept: [] };
  let bytes = 0;
  for (const [pack, slots] of kept) {
    const size = slots.reduce((sum, s) => sum + HEADER_BYTES + ctx.index.lengthOf(s), 0);
    if (group.packs.length > 0 && bytes + size > ctx.targetBytes) {
      groups.push(group);
      group = { packs: [], kept: [] };
      bytes = 0;
    }
    group.packs.push(pack);
    group.kept.push(...slots);
    bytes += size;
  }
  groups.push(group);
  return groups;
}

/**
 * Replaces the group's packs by one holding their kept records. A failure before the commit
 * point undoes the step (the doomed blobs are back); after it, the store is marked broken.
 */
async function rewrite(ctx: RepackContext, group: Group, doomed: Doomed[]): Promise<void> {
  const sources = group.packs.map((pack) => ctx.packs.get(pack)!.paths.name);
  let target: string | undefined;
  let entries: IndexEntry[] = [];
  if (group.kept.length > 0) {
    const writer = filePackWriter(ctx.root, newPackId(), ctx.budget, ctx.hooks, () => {});
    const paths = writer.sink.paths;
    try {
      await writeJournal(ctx.root, paths.name, sources);
      await ctx.hooks.checkpoint("repack:journaled");
      entries = await copyKept(ctx, group.kept, writer);
      await ctx.hooks.checkpoint("repack:copied");
      const packHash = await writer.seal();
      await ctx.hooks.checkpoint("repack:sealed");
      const index = encodeIndex(writer.id, entries, PACK_VERSION, packHash);
      await writeFileAtomic(paths.index, index, {
        createNew: true,
      });
    } catch (error) {
      await rollBack(ctx, writer);
      restore(ctx, doomed);
      throw error;
    }
    target = paths.name;
  }
  try {
    await ctx.hooks.checkpoint("repack:committed");
    if (target !== undefined) {
      const pack = ctx.packs.add({
        paths: new PackPaths(ctx.root, target),
        writer: undefined,
        slots: [],
        sealed: true,
        version: PACK_VERSION,
      });
      group.kept.forEach((slot, i) => ctx.index.move(slot, pack, entries[i]!.offset));
    }
    for (const pack of group.packs) await ctx.packs.remove(pack);
    await removeSources(ctx.root, sources, () => ctx.hooks.checkpoint("repack:indexes-removed"));
    await ctx.hooks.checkpoint("repack:packs-removed");
    if (target !== undefined) await removeJournal(ctx.root, target);
    await ctx.hooks.checkpoint("repack:done");
  } catch (error) {
    ctx.fail(error);
    throw error;
  }
}

/** Copies the kept records into `writer`, reading and verifying each. */
async function copyKept(
  ctx: RepackContext,
  kept: number[],
  writer: PackWriter,
): Promise<IndexEntry[]> {
  const entries: IndexEntry[] = [];
  for (const slot of kept) {
    const id = ctx.index.idOf(slot);
    const length = ctx.index.lengthOf(slot);
    const pack = ctx.index.packOf(slot);
    const blob = await ctx.packs.read(pack, id, ctx.index.offsetOf(slot), length);
    if (blob === undefined) throw new Error(`pack ${pack} vanished during a delete`);
    const turn = ctx.budget.wait();
    if (turn !== undefined) {
      await turn;
      ctx.budget.done();
    }
    entries.push({ id, offset: writer.append(id, blob, HEADER_BYTES + length), length });
    await ctx.hooks.checkpoint("repack:copying");
  }
  return entries;
}

async function rollBack(ctx: RepackContext, writer: PackWriter<FilePackSink>): Promise<void> {
  const paths = writer.sink.paths;
  try {
    await writer.abort();
    await removeIfPresent(paths.index);
    await removeIfPresent(paths.pack);
    await removeIfPresent(paths.temp);
    await removeJournal(ctx.root, paths.name);
  } catch (error) {
    ctx.fail(error);
  }
}
