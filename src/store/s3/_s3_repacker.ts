/**
 * Deleting blobs from an S3 chunk store, as the local pack store does it: the kept records of a
 * group of packs go to one new pack. Steps: journal object → new pack uploaded and completed →
 * new index object (the commit point) → old index objects removed → old pack objects removed →
 * journal removed. A pack left with nothing loses its index, then its object. `_s3_loader.ts`
 * finishes or undoes an interrupted repack at the next open. With a shared index the commit
 * point is the step's transaction there (`commit`), made after the new index is stored; the next
 * prune finishes or undoes an interrupted step by what the shared index lists.
 *
 * @module
 */
import { IntegrityError } from "../../errors.ts";
import { toHex } from "../../format/chunk_id.ts";
import {
  encodeIndex,
  type IndexEntry,
  PACK_VERSION,
  recordHeaderBytes,
  verifyRecord,
} from "../_pack_format.ts";
import { newPackId } from "../_pack_layout.ts";
import { PackWriter } from "../_pack_writer.ts";
import { journalText } from "../_repack_journal.ts";
import {
  deleteGrouped,
  type Doomed,
  type Group,
  groupPacks,
  type RepackIndex,
  restore,
} from "../_repacker.ts";
import type { WriteBudget } from "../_write_budget.ts";
import { removeSources } from "./_s3_loader.ts";
import { indexKey, journalKey, packKey } from "./_s3_layout.ts";
import { type PartBuffers, S3PackSink } from "./_s3_pack_sink.ts";
import type { SharedLocation, SharedPack } from "../chunk_index_shared.ts";
import type { S3PackTable } from "./_s3_pack_table.ts";
import type { ObjectStore } from "./object_store.ts";

/** Bytes of a record header in the packs a repack writes. */
const HEADER_BYTES = recordHeaderBytes(PACK_VERSION);

/** What a repack needs from an S3 chunk store. */
export interface S3RepackContext extends RepackIndex {
  objects: ObjectStore;
  root: string;
  /** Part buffers of the store's uploads. */
  parts: PartBuffers;
  packs: S3PackTable;
  budget: WriteBudget;
  /** Named steps where a test may throw (the local store's `repack:*` names). */
  checkpoint(step: string): void | Promise<void>;
  /** Marks the store broken after a failure that left memory and objects out of step. */
  fail(error: unknown): void;
  /**
   * With a shared index: commits one step there (the packs `removed` gone, `added` in their
   * place), before any object it replaces is removed. A failure leaves the step to the recovery
   * of the next prune, which asks the shared index whether it was committed.
   */
  commit?(
    removed: string[],
    added: { pack: SharedPack; blobs: SharedLocation[] } | null,
  ): Promise<void>;
}

/** Removes `ids` (already flushed) from sealed packs; ids in unsealed packs are left alone. */
export function deleteS3Chunks(ctx: S3RepackContext, ids: Uint8Array[]): Promise<void> {
  return deleteGrouped(ctx, ids, (group, doomed) => rewrite(ctx, group, doomed));
}

/**
 * Rewrites the sealed packs `packs` with only the blobs the index locates in them: for packs
 * holding bytes no blob is located in (copies another server located first, see `_s3_shared.ts`).
 */
export async function compactS3Packs(ctx: S3RepackContext, packs: Set<number>): Promise<void> {
  for (const group of groupPacks(ctx, packs)) await rewrite(ctx, group, []);
}

/**
 * Replaces the group's packs by one holding their kept records. A failure before the commit
 * point undoes the step (the doomed blobs are back); after it, the store is marked broken.
 */
async function rewrite(ctx: S3RepackContext, group: Group, doomed: Doomed[]): Promise<void> {
  const { objects, root } = ctx;
  const sources = group.packs.map((pack) => ctx.packs.get(pack)!.name);
  let target: string | undefined;
  let entries: IndexEntry[] = [];
  let size = 0;
  if (group.kept.length > 0) {
    const id = newPackId();
    const name = toHex(id);
    const sink = new S3PackSink(objects, packKey(root, name), ctx.parts);
    const writer = new PackWriter(id, sink, ctx.budget, () => {});
    try {
      await objects.write(
        journalKey(root, name),
        new TextEncoder().encode(journalText(name, sources)),
      );
      await ctx.checkpoint("repack:journaled");
      entries = await copyKept(ctx, group.kept, writer);
      await ctx.checkpoint("repack:copied");
      const packHash = await writer.seal();
      await ctx.checkpoint("repack:sealed");
      const index = encodeIndex(id, entries, PACK_VERSION, packHash);
      await objects.write(indexKey(root, name), index, { createNew: true });
    } catch (error) {
      await rollBack(ctx, writer, name);
      restore(ctx, doomed);
      throw error;
    }
    target = name;
    size = writer.size;
  }
  try {
    const added = target === undefined
      ? null
      : { pack: { name: target, version: PACK_VERSION, size }, blobs: entries };
    // Whether or not it took, the journal and the objects stay for the recovery to decide.
    await ctx.commit?.(sources, added);
    await ctx.checkpoint("repack:committed");
    if (target !== undefined) {
      const pack = ctx.packs.add({
        name: target,
        version: PACK_VERSION,
        size,
        writer: undefined,
        slots: [],
        sealed: true,
        sealing: undefined,
      });
      group.kept.forEach((slot, i) => ctx.index.move(slot, pack, entries[i]!.offset));
    }
    for (const pack of group.packs) ctx.packs.remove(pack);
    await removeSources(objects, root, sources, () => ctx.checkpoint("repack:indexes-removed"));
    await ctx.checkpoint("repack:packs-removed");
    if (target !== undefined) await objects.remove([journalKey(root, target)]);
    await ctx.checkpoint("repack:done");
  } catch (error) {
    ctx.fail(error);
    throw error;
  }
}

/** Copies the kept records into `writer`, reading each source pack once and verifying each. */
async function copyKept(
  ctx: S3RepackContext,
  kept: number[],
  writer: PackWriter,
): Promise<IndexEntry[]> {
  const entries: IndexEntry[] = [];
  let source: { pack: number; bytes: Uint8Array } | undefined;
  for (const slot of kept) {
    const pack = ctx.index.packOf(slot);
    const entry = ctx.packs.get(pack);
    if (entry === undefined) throw new Error(`pack ${pack} vanished during a delete`);
    if (source?.pack !== pack) {
      source = { pack, bytes: await ctx.objects.readAll(packKey(ctx.root, entry.name)) };
    }
    const id = ctx.index.idOf(slot);
    const length = ctx.index.lengthOf(slot);
    const offset = ctx.index.offsetOf(slot);
    const headerBytes = recordHeaderBytes(entry.version);
    const header = source.bytes.subarray(offset, offset + headerBytes);
    const blob = source.bytes.subarray(offset + headerBytes, offset + headerBytes + length);
    if (blob.length !== length) {
      throw new IntegrityError(`Cannot copy chunk "${toHex(id)}": its pack is truncated`);
    }
    verifyRecord(header, header.length + blob.length, id, blob, entry.name, entry.version);
    const turn = ctx.budget.wait();
    if (turn !== undefined) {
      await turn;
      ctx.budget.done();
    }
    entries.push({ id, offset: writer.append(id, blob, HEADER_BYTES + length), length });
    await ctx.checkpoint("repack:copying");
  }
  return entries;
}

/** Undoes a repack that did not reach its commit point: the new pack, its index, its journal. */
async function rollBack(ctx: S3RepackContext, writer: PackWriter, name: string): Promise<void> {
  try {
    await writer.abort();
    await ctx.objects.remove([indexKey(ctx.root, name), packKey(ctx.root, name)]);
    await ctx.objects.remove([journalKey(ctx.root, name)]);
  } catch (error) {
    ctx.fail(error);
  }
}
