/**
 * The filesystem chunk store: blobs appended to pack files of about 32 MiB, each with an index
 * file, so 20,000 small chunks cost a handful of fsynced files (restic's layout, simplified).
 *
 * Layout and byte formats: `_pack_layout.ts`, `_pack_format.ts` (docs/REPOSITORY.md).
 *
 * Invariants:
 * - A blob is durable once its pack is fsynced, renamed from `.pack.tmp` to `.pack` (folder
 *   fsynced) and its index written atomically; that is what `flush()` waits for. Packs are sealed
 *   in the background as they reach the target size, while new puts go to a new pack.
 * - An index is written only after its pack is durable, and removed before its pack; so every
 *   index this store wrote names a whole, durable pack. A `.pack.tmp` file can only come from a
 *   crash before the seal that would have renamed it; no committed snapshot can name a blob in it
 *   (a snapshot is committed only after that seal), so open removes it. Open never removes a
 *   sealed pack: a missing or damaged index is rebuilt from the pack (`_pack_loader.ts`), and the
 *   blobs of a pack that is gone are reported in `damaged` instead of failing the open.
 * - Puts copy each record into a staging buffer synchronously, so bytes never interleave; memory
 *   for queued writes is bounded (puts wait). A failed write (disk full) breaks the store until
 *   it is reopened, because its blobs may have been reported stored to some session.
 * - Deletes rewrite packs under a journal (`_repack_journal.ts`): a crash leaves each blob either
 *   deleted or present, never listed twice or lost.
 * - One store per folder per process (`_open_folders.ts`): an open of a folder whose store is
 *   closing waits until that close has finished; one whose store is open fails.
 *
 * @module
 */
import { writeFileAtomic } from "../atomic_file.ts";
import { IntegrityError, NotFoundError, StoreError } from "../errors.ts";
import { type Logger, silentLogger } from "../log.ts";
import { ChunkIndex } from "./_chunk_index.ts";
import {
  checkBlob,
  checkPageRequest,
  type ChunkStore,
  type IdPage,
  type PruneOptions,
  type PruneReport,
} from "./chunk_store.ts";
import type { IdSet } from "../format/id_set.ts";
import { packTotals, planPrune } from "./_prune_plan.ts";
import { checkChunkId, CHUNK_ID_BYTES, toHex } from "../format/chunk_id.ts";
import { encodeIndex, PACK_VERSION, recordHeaderBytes } from "./_pack_format.ts";
import { claimFolder, type FolderClaim } from "./_open_folders.ts";
import { newPackId, removeIfPresent, storeFailure } from "./_pack_layout.ts";
import { loadStore } from "./_pack_loader.ts";
import type { Quarantine } from "./_quarantine.ts";
import { PackTable } from "./_pack_table.ts";
import { filePackWriter } from "./_file_pack_sink.ts";
import { deleteChunks, type PackStoreHooks, type RepackContext } from "./_repacker.ts";
import { WriteBudget } from "./_write_budget.ts";

export type { PackStoreHooks } from "./_repacker.ts";
export { WriteBudget } from "./_write_budget.ts";

/** Options of `PackChunkStore.open`. */
export interface PackChunkStoreOptions {
  /** A pack is sealed once it holds this many bytes (default 32 MiB). */
  packTargetBytes?: number;
  /** Bytes of blobs queued for the disk before puts wait (default 32 MiB). */
  queueBytes?: number;
  /**
   * A budget shared with other stores (a server's, so that memory for writes is bounded across
   * all users at once); replaces `queueBytes`. One store failing does not fail it for the others.
   */
  budget?: WriteBudget;
  /** For tests only: replace fsync, or throw at named steps to simulate failures and crashes. */
  hooks?: Partial<PackStoreHooks>;
  /** Hears of damage found (rebuilt indexes, missing packs, damaged records), with paths. */
  logger?: Logger;
}

/** Bytes of a record header in the packs this store writes. */
const HEADER_BYTES = recordHeaderBytes(PACK_VERSION);

const MiB = 1024 * 1024;
const DEFAULT_HOOKS: PackStoreHooks = {
  syncFile: (file) => file.sync(),
  checkpoint: () => {},
};

/** A `ChunkStore` in pack files under one folder. */
export class PackChunkStore implements ChunkStore {
  readonly #root: string;
  readonly #target: number;
  readonly #hooks: PackStoreHooks;
  readonly #index = new ChunkIndex();
  readonly #packs = new PackTable();
  readonly #budget: WriteBudget;
  readonly #ownsBudget: boolean;
  #current: number | undefined;
  #seals = new Set<Promise<void>>();
  #failure: StoreError | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;
  #released = false;
  #deletes: Promise<void> = Promise.resolve();
  /** Ids (32 bytes each, in buffers) the store cannot serve: from missing packs, or set aside. */
  #lost: Uint8Array[] = [];
  #unreadableIndexes = 0;
  #quarantine: Quarantine | undefined;
  readonly #logger: Logger;
  readonly #claim: FolderClaim;

  private constructor(root: string, options: PackChunkStoreOptions, claim: FolderClaim) {
    this.#root = root;
    this.#claim = claim;
    this.#target = options.packTargetBytes ?? 32 * MiB;
    this.#hooks = { ...DEFAULT_HOOKS, ...options.hooks };
    this.#budget = options.budget ?? new WriteBudget(options.queueBytes ?? 32 * MiB);
    this.#ownsBudget = options.budget === undefined;
    this.#logger = options.logger ?? silentLogger;
  }

  /**
   * Opens (creating if needed) the store in `dir`, removing what a crash left behind, rebuilding
   * missing or damaged indexes from their packs, and leaving out the blobs of missing packs.
   * Waits while a store of this process on the same folder is closing.
   * @throws {StoreError} when a store of this process has the folder open and is not closing
   */
  static async open(dir: string, options: PackChunkStoreOptions = {}): Promise<PackChunkStore> {
    const claim = await claimFolder(dir);
    try {
      const store = new PackChunkStore(dir, options, claim);
      const report = await loadStore(
        dir,
        store.#index,
        (paths, version) =>
          store.#packs.add({ paths, writer: undefined, slots: [], sealed: true, version }),
        store.#logger,
      );
      store.#lost = [report.lost];
      store.#unreadableIndexes = report.unreadableIndexes;
      store.#quarantine = report.quarantine;
      return store;
    } catch (error) {
      claim.release();
      throw error;
    }
  }

  /**
   * Blobs known to be missing or damaged, until stored again: listed by an index whose pack is
   * gone, or set aside as damaged; plus one per unreadable index whose pack is gone too.
   */
  get damaged(): number {
    let missing = 0;
    for (const lost of this.#lost) {
      for (let at = 0; at < lost.length; at += CHUNK_ID_BYTES) {
        if (this.#index.find(lost, at) < 0) missing++;
      }
    }
    return missing + this.#unreadableIndexes;
  }

  /** Number of blobs stored. */
  get size(): number {
    return this.#index.count;
  }

  /** Sum of the stored blobs' lengths. */
  get storedBytes(): number {
    return this.#index.bytes;
  }

  /** Whether `id` is stored (or put and not yet flushed). */
  has(id: Uint8Array): boolean {
    checkChunkId(id);
    this.#checkOpen("look up chunk");
    return this.#index.find(id) >= 0;
  }

  /** Queues `blob` under `id` unless present; durable after `flush`. */
  async put(id: Uint8Array, blob: Uint8Array): Promise<boolean> {
    checkChunkId(id);
    checkBlob(blob);
    this.#checkWritable();
    if (this.#index.find(id) >= 0) return false;
    const turn = this.#budget.wait();
    if (turn !== undefined) {
      await turn;
      this.#budget.done();
      this.#checkWritable();
      if (this.#index.find(id) >= 0) return false;
    }
    const pack = this.#current ?? this.#startPack();
    const entry = this.#packs.get(pack)!;
    const offset = entry.writer!.append(id, blob, HEADER_BYTES + blob.length);
    entry.slots.push(this.#index.add(id, pack, offset, blob.length));
    if (entry.writer!.size >= this.#target) this.#sealCurrent();
    return true;
  }

  /** Makes every blob put so far durable. @throws {StoreError} when a write failed. */
  async flush(): Promise<void> {
    this.#checkOpen("flush chunks");
    this.#sealCurrent();
    await this.#settleSeals();
    if (this.#failure !== undefined) throw this.#failure;
  }

  /**
   * Waits until no background work is left, including work tracked while waiting (a writer's
   * failure cleanup can start after a seal did): nothing may still write or delete files once
   * a flush or close returns, or a reopen of the same folder races it. Failures are recorded
   * in `#failure` by the tracked work itself.
   */
  async #settleSeals(): Promise<void> {
    while (this.#seals.size > 0) await Promise.all([...this.#seals]);
  }

  /** The verified blob of `id`. @throws {NotFoundError} @throws {IntegrityError} */
  get(id: Uint8Array): Promise<Uint8Array> {
    checkChunkId(id);
    this.#checkOpen("get chunk");
    return this.#read(id, undefined);
  }

  /** The length of the blob of `id`, or undefined. */
  lengthOf(id: Uint8Array): number | undefined {
    checkChunkId(id);
    this.#checkOpen("look up chunk");
    const slot = this.#index.find(id);
    return slot < 0 ? undefined : this.#index.lengthOf(slot);
  }

  /** Reads the verified blob of `id` into `target`. @throws {NotFoundError} @throws {IntegrityError} */
  async readInto(id: Uint8Array, target: Uint8Array): Promise<void> {
    checkChunkId(id);
    this.#checkOpen("get chunk");
    await this.#read(id, target);
  }

  /** Reads the blob of `id`, into `target` if given, looking it up again if a repack moved it. */
  async #read(id: Uint8Array, target: Uint8Array | undefined): Promise<Uint8Array> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const slot = this.#index.find(id);
      if (slot < 0) break;
      const index = this.#index;
      const length = index.lengthOf(slot);
      if (target !== undefined && target.length !== length) {
        throw new RangeError(
          `Cannot read chunk "${toHex(id)}": it has ${length} bytes, the target ${target.length}`,
        );
      }
      const blob = await this.#packs.read(
        index.packOf(slot),
        id,
        index.offsetOf(slot),
        length,
        target ?? new Uint8Array(length),
      ).catch((error) => this.#damagedRead(id, error));
      if (blob !== undefined) return blob;
    }
    throw new NotFoundError(`Cannot get chunk "${toHex(id)}": it is not stored`);
  }

  /** Logs a record that did not verify and sets it aside (a push stores it again), then rethrows. */
  #damagedRead(id: Uint8Array, error: unknown): never {
    if (error instanceof IntegrityError) {
      this.#logger.error("damaged chunk record: set aside", { error: error.message });
      try {
        this.#track(this.markDamaged([id]).then(() => {}, () => {}));
      } catch {
        // Closing or broken: the next open reads the record again and finds it damaged again.
      }
    }
    throw error;
  }

  /**
   * Sets aside the blobs of `ids` as damaged (see `_quarantine.ts`): durably first, then they
   * stop being listed or served, and a put stores them anew. Runs in turn with deletes.
   * @returns how many were set aside (ids not stored are ignored)
   */
  markDamaged(ids: Uint8Array[]): Promise<number> {
    ids.forEach(checkChunkId);
    this.#checkWritable();
    const copies = ids.map((id) => id.slice());
    const run = this.#deletes.then(async () => {
      const found = [];
      for (const id of copies) {
        const slot = this.#index.find(id);
        const entry = slot < 0 ? undefined : this.#packs.get(this.#index.packOf(slot));
        if (entry !== undefined) found.push({ pack: entry.paths.name, id, slot });
      }
      const added = await this.#quarantine!.add(found);
      const lost = new Uint8Array(added.length * CHUNK_ID_BYTES);
      added.forEach(({ id }, i) => lost.set(id, i * CHUNK_ID_BYTES));
      for (const { id, slot } of found.filter((blob) => added.includes(blob))) {
        if (this.#index.find(id) === slot) this.#index.remove(slot);
      }
      this.#lost.push(lost);
      if (added.length > 0) {
        this.#logger.warn("damaged chunks set aside", {
          chunks: added.length,
          quarantine: `${this.#root}/quarantine`,
        });
      }
      return added.length;
    });
    this.#deletes = run.then(() => {}, () => {});
    return run;
  }

  /** Copies the stored ids above `after` into `target`, ascending, from the index's order. */
  listInto(after: Uint8Array | undefined, target: Uint8Array): IdPage {
    checkPageRequest(after, target);
    this.#checkOpen("list chunks");
    return this.#index.copyIdsAfter(after, target);
  }

  /** Removes `ids` and rewrites their packs; one delete runs at a time. */
  async delete(ids: Uint8Array[]): Promise<void> {
    ids.forEach(checkChunkId);
    this.#checkWritable();
    const copies = ids.map((id) => id.slice());
    const run = this.#deletes.then(async () => {
      await this.flush();
      await deleteChunks(this.#repackContext(), copies);
    });
    this.#deletes = run.catch(() => {});
    await run;
  }

  /**
   * Removes the blobs not in `live` from the packs where that is worth it (`_prune_plan.ts`),
   * through the same journaled rewrite as `delete`; one delete or prune runs at a time.
   */
  prune(live: IdSet, options: PruneOptions): Promise<PruneReport> {
    this.#checkWritable();
    const run = this.#deletes.then(async () => {
      await this.flush();
      const { maxUnusedPercent, dryRun } = options;
      const plan = await planPrune(this.#index, this.#packs, live, maxUnusedPercent, this.#target);
      const { doomed, packsBefore, bytesBefore, packsDeleted, packsRewritten } = plan;
      const report = { packsBefore, bytesBefore, packsDeleted, packsRewritten };
      const done = {
        ...report,
        blobsRemoved: doomed.length,
        unusedBytesKept: plan.unusedBytesKept,
      };
      if (dryRun) return { ...done, packsAfter: plan.packsAfter, bytesAfter: plan.bytesAfter };
      await this.#hooks.checkpoint("prune:planned");
      await deleteChunks(this.#repackContext(), doomed);
      const after = await packTotals(this.#packs);
      return { ...done, packsAfter: after.packs, bytesAfter: after.bytes };
    });
    this.#deletes = run.then(() => {}, () => {});
    return run;
  }

  /**
   * Flushes, then closes every file. Rejects if the final flush fails. Idempotent: every call
   * returns the first one's outcome, its failure included. The folder is free for another store
   * once the returned promise settles.
   */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#closing = true;
    this.#closed = (async () => {
      try {
        await this.#deletes;
        await this.flush();
      } finally {
        await this.#settleSeals();
        await this.#packs.close();
        this.#released = true;
        this.#index.release();
      }
    })();
    this.#claim.closing(this.#closed);
    return this.#closed;
  }

  #checkOpen(action: string): void {
    if (this.#released) throw new StoreError(`Cannot ${action}: the store is closed`);
  }

  #checkWritable(): void {
    if (this.#closing) throw new StoreError("Cannot store chunks: the store is closed");
    if (this.#failure !== undefined) throw this.#failure;
  }

  #startPack(): number {
    let pack = -1;
    // The writer reports a failed write at once, so puts stop before the next flush.
    const writer = filePackWriter(this.#root, newPackId(), this.#budget, this.#hooks, (error) => {
      this.#track(this.#fail(error, pack));
    });
    pack = this.#packs.add({
      paths: writer.sink.paths,
      writer,
      slots: [],
      sealed: false,
      version: PACK_VERSION,
    });
    this.#current = pack;
    return pack;
  }

  /** Seals the current pack in the background. */
  #sealCurrent(): void {
    const pack = this.#current;
    if (pack === undefined) return;
    this.#current = undefined;
    this.#track(this.#seal(pack).catch((error) => this.#fail(error, pack)));
  }

  /** Keeps `work` among what `flush` and `close` wait for (its failure is already recorded). */
  #track(work: Promise<void>): void {
    const settled = work.catch(() => {});
    this.#seals.add(settled);
    settled.finally(() => this.#seals.delete(settled));
  }

  async #seal(pack: number): Promise<void> {
    const entry = this.#packs.get(pack);
    const writer = entry?.writer;
    if (entry === undefined || writer === undefined) return;
    const packHash = await writer.seal();
    await this.#hooks.checkpoint("seal:renamed");
    const entries = entry.slots.filter((slot) => this.#index.packOf(slot) === pack).map((slot) => ({
      id: this.#index.idOf(slot),
      offset: this.#index.offsetOf(slot),
      length: this.#index.lengthOf(slot),
    }));
    await writeFileAtomic(
      entry.paths.index,
      encodeIndex(writer.id, entries, PACK_VERSION, packHash),
      {
        createNew: true,
      },
    );
    entry.writer = undefined;
    entry.slots = [];
    entry.sealed = true;
  }

  /** Breaks the store with `error`; drops `pack` (unsealed) and its blobs, index first. */
  async #fail(error: unknown, pack?: number): Promise<void> {
    this.#failure ??= storeFailure("store chunks", error);
    if (this.#ownsBudget) this.#budget.fail(this.#failure);
    const entry = pack === undefined ? undefined : this.#packs.get(pack);
    if (pack === undefined || entry === undefined || entry.sealed) return;
    if (this.#current === pack) this.#current = undefined;
    for (const slot of entry.slots) if (this.#index.packOf(slot) === pack) this.#index.remove(slot);
    entry.slots = [];
    await this.#packs.remove(pack);
    await entry.writer?.abort();
    try {
      await removeIfPresent(entry.paths.index);
      await removeIfPresent(entry.paths.pack);
      await removeIfPresent(entry.paths.temp);
    } catch {
      // The pack stays without an index (or with one, if the disk refuses even removals): the
      // next open sorts it out; the store is broken either way.
    }
  }

  #repackContext(): RepackContext {
    return {
      root: this.#root,
      targetBytes: this.#target,
      index: this.#index,
      packs: this.#packs,
      budget: this.#budget,
      hooks: this.#hooks,
      fail: (error) => this.#track(this.#fail(error)),
    };
  }
}
