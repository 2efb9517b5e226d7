/**
 * The chunk store on S3: blobs appended to packs of about 32 MiB, each pack one S3 object
 * written once with a multipart upload (never rewritten in place) and one index object beside
 * it, in the local pack store's formats (`_pack_format.ts`, docs/REPOSITORY.md). Lookups,
 * `has`, `lengthOf` and listing are answered from the in-memory index loaded at open; a read is
 * one ranged GET, or served from the spans fetched together for a reply (`prefetch`).
 *
 * Invariants (those of `PackChunkStore`, with S3's atomic operations in place of fsync and
 * rename):
 * - A blob is durable once its pack's upload is completed (S3 makes the object appear whole, at
 *   once) and its index object stored; that is what `flush()` waits for. An index is stored only
 *   after its pack is complete, and removed before its pack.
 * - An upload that was never completed can only come from a crash before the seal; no committed
 *   snapshot names a blob in it, so open aborts it. Open never removes a sealed pack: a missing or
 *   damaged index is rebuilt from the pack's records (`_s3_loader.ts`).
 * - Deletes rewrite packs under a journal object (`_s3_repacker.ts`): a crash leaves each blob
 *   either deleted or present, never listed twice or lost. With a shared index, each repack step
 *   is committed there before the packs it replaces are removed, and a prune (which no other
 *   server runs at the same time) first finishes or undoes the steps a crash left, by what the
 *   shared index lists.
 * - One store per repository prefix: the server's repository lock keeps a second one out.
 *
 * @module
 */
import { IntegrityError, NotFoundError, StoreError } from "../../errors.ts";
import { type Logger, silentLogger } from "../../log.ts";
import { checkChunkId, CHUNK_ID_BYTES, toHex } from "../../format/chunk_id.ts";
import type { IdSet } from "../../format/id_set.ts";
import { ChunkIndex } from "../_chunk_index.ts";
import {
  checkBlob,
  checkPageRequest,
  type ChunkStore,
  type IdPage,
  type PruneOptions,
  type PruneReport,
} from "../chunk_store.ts";
import { encodeIndex, MAGIC_BYTES, PACK_VERSION, recordHeaderBytes } from "../_pack_format.ts";
import { newPackId, storeFailure } from "../_pack_layout.ts";
import { PackWriter } from "../_pack_writer.ts";
import { packTotals, planPrune } from "../_prune_plan.ts";
import { MAX_QUARANTINED, type Quarantine } from "../_quarantine.ts";
import { WriteBudget } from "../_write_budget.ts";
import { abortUploads, loadS3Store, recoverJournals } from "./_s3_loader.ts";
import { S3SharedCache } from "./_s3_shared.ts";
import type { SharedChunkIndex } from "../chunk_index_shared.ts";
import { indexKey, packKey } from "./_s3_layout.ts";
import { PartBuffers, S3PackSink } from "./_s3_pack_sink.ts";
import { S3PackTable } from "./_s3_pack_table.ts";
import { compactS3Packs, deleteS3Chunks, type S3RepackContext } from "./_s3_repacker.ts";
import type { ObjectStore } from "./object_store.ts";

/** Options of `S3ChunkStore.open`. */
export interface S3ChunkStoreOptions {
  /** A pack is sealed once it holds this many bytes (default 32 MiB). */
  packTargetBytes?: number;
  /** Bytes of each uploaded part but the last (default 8 MiB; S3 wants at least 5 MiB). */
  partBytes?: number;
  /** Bytes of blobs queued before puts wait (default 32 MiB). */
  queueBytes?: number;
  /** A budget shared with other stores (a server's); replaces `queueBytes`. */
  budget?: WriteBudget;
  /** For tests only: throw at named steps to simulate failures and crashes. */
  checkpoint?: (step: string) => void | Promise<void>;
  /** Hears of damage found (rebuilt indexes, missing packs, damaged records), with keys. */
  logger?: Logger;
  /**
   * The chunk index other servers on the same prefix share (`chunk_index_shared.ts`): loaded at
   * open instead of the index objects, told of every seal and repack, and read again for what
   * others added by `refresh`. Open then aborts only uploads older than `uploadAgeMs`.
   */
  shared?: SharedChunkIndex;
  /** With `shared`: how old an unfinished upload must be for open to abort it (default 1 day). */
  uploadAgeMs?: number;
}

const MiB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Bytes of a record header in the packs this store writes. */
const HEADER_BYTES = recordHeaderBytes(PACK_VERSION);

/** A `ChunkStore` in pack objects under one key prefix of an S3 bucket. */
export class S3ChunkStore implements ChunkStore {
  readonly #objects: ObjectStore;
  readonly #root: string;
  readonly #target: number;
  readonly #parts: PartBuffers;
  readonly #checkpoint: (step: string) => void | Promise<void>;
  readonly #index = new ChunkIndex();
  readonly #packs: S3PackTable;
  readonly #budget: WriteBudget;
  readonly #ownsBudget: boolean;
  readonly #logger: Logger;
  #current: number | undefined;
  #seals = new Set<Promise<void>>();
  #failure: StoreError | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;
  #released = false;
  #deletes: Promise<void> = Promise.resolve();
  #lost: Uint8Array[] = [];
  #unreadableIndexes = 0;
  #quarantine: Quarantine | undefined;
  readonly #cache: S3SharedCache | undefined;

  private constructor(objects: ObjectStore, root: string, options: S3ChunkStoreOptions) {
    this.#objects = objects;
    this.#root = root;
    this.#target = options.packTargetBytes ?? 32 * MiB;
    this.#parts = new PartBuffers(Math.max(5 * MiB, options.partBytes ?? 8 * MiB));
    this.#checkpoint = options.checkpoint ?? (() => {});
    this.#packs = new S3PackTable(objects, root);
    this.#budget = options.budget ?? new WriteBudget(options.queueBytes ?? 32 * MiB);
    this.#ownsBudget = options.budget === undefined;
    this.#logger = options.logger ?? silentLogger;
    this.#cache = options.shared === undefined
      ? undefined
      : new S3SharedCache(options.shared, this.#index, this.#packs);
  }

  /**
   * Opens the store under the key prefix `root` (ending in `/`) of `objects`' bucket: aborts
   * what a crash left, finishes or undoes an interrupted repack, rebuilds missing or damaged
   * indexes, and leaves out the blobs of missing packs.
   * @throws {StoreError} when S3 cannot be reached or refuses the credentials
   */
  static async open(
    objects: ObjectStore,
    root: string,
    options: S3ChunkStoreOptions = {},
  ): Promise<S3ChunkStore> {
    if (root !== "" && !root.endsWith("/")) throw new RangeError(`Invalid S3 prefix "${root}"`);
    const store = new S3ChunkStore(objects, root, options);
    if (store.#cache !== undefined) {
      await store.#openShared(options.uploadAgeMs ?? DAY_MS).catch((error) => {
        store.#index.release();
        throw storeFailure("open the chunk store", error);
      });
      return store;
    }
    const report = await loadS3Store(
      objects,
      root,
      store.#index,
      (name, version, size) =>
        store.#packs.add({
          name,
          version,
          size,
          writer: undefined,
          slots: [],
          sealed: true,
          sealing: undefined,
        }),
      store.#logger,
    ).catch((error) => {
      store.#index.release();
      throw storeFailure("open the chunk store", error);
    });
    store.#lost = [report.lost];
    store.#unreadableIndexes = report.unreadableIndexes;
    store.#quarantine = report.quarantine;
    return store;
  }

  /**
   * Aborts uploads older than `ageMs` and loads the shared index (which leaves out the blobs set
   * aside: their rows are gone).
   */
  async #openShared(ageMs: number): Promise<void> {
    await abortUploads(this.#objects, this.#root, this.#logger, new Date(Date.now() - ageMs));
    await this.#cache!.load();
  }

  /** Adds what other servers sharing the index stored since; nothing for an unshared store. */
  async refresh(): Promise<void> {
    this.#checkOpen("list chunks");
    await this.#cache?.refresh();
  }

  /**
   * The sealed packs whose bytes outside located blobs are above `maxUnusedPercent`: with a
   * shared index, packs holding copies of blobs another server located first (`_s3_shared.ts`).
   */
  #duplicateHolders(maxUnusedPercent: number): Set<number> {
    const located = new Map<number, number>();
    for (const slot of this.#index.slots()) {
      const pack = this.#index.packOf(slot);
      located.set(pack, (located.get(pack) ?? 0) + HEADER_BYTES + this.#index.lengthOf(slot));
    }
    const holders = new Set<number>();
    for (const [pack, entry] of this.#packs.sealed()) {
      const unused = entry.size - MAGIC_BYTES - (located.get(pack) ?? 0);
      if (unused * 100 > maxUnusedPercent * entry.size) holders.add(pack);
    }
    return holders;
  }

  /** Blobs known to be missing or damaged, until stored again. */
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
    while (this.#seals.size > 0) await Promise.all([...this.#seals]);
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** The verified blob of `id`. @throws {NotFoundError} @throws {IntegrityError} */
  get(id: Uint8Array): Promise<Uint8Array> {
    checkChunkId(id);
    this.#checkOpen("get chunk");
    return this.#read(id, undefined);
  }

  /** Starts fetching the stored blobs of `ids` together, for the reads that follow. */
  prefetch(ids: readonly Uint8Array[]): void {
    this.#checkOpen("get chunk");
    const reads = [];
    for (const id of ids) {
      checkChunkId(id);
      const slot = this.#index.find(id);
      if (slot < 0) continue;
      const [pack, offset, length] = [
        this.#index.packOf(slot),
        this.#index.offsetOf(slot),
        this.#index.lengthOf(slot),
      ];
      reads.push({ pack, offset, length });
    }
    this.#packs.prefetch(reads);
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

  /**
   * Reads the blob of `id`, into `target` if given: looked up again if a repack moved it, and
   * after its pack's seal when its bytes have gone to an upload not completed yet.
   */
  async #read(id: Uint8Array, target: Uint8Array | undefined): Promise<Uint8Array> {
    let refreshed = false;
    let missingRefreshed = false;
    for (let attempt = 0; attempt < 4; attempt++) {
      const slot = this.#index.find(id);
      if (slot < 0 && this.#cache !== undefined && !refreshed) {
        // Another server may have stored it, or moved it in a repack, since the last refresh.
        refreshed = true;
        await this.#cache.refresh();
        continue;
      }
      if (slot < 0) break;
      const index = this.#index;
      const length = index.lengthOf(slot);
      if (target !== undefined && target.length !== length) {
        throw new RangeError(
          `Cannot read chunk "${toHex(id)}": it has ${length} bytes, the target ${target.length}`,
        );
      }
      const pack = index.packOf(slot);
      const found = await this.#packs.read(
        pack,
        id,
        index.offsetOf(slot),
        length,
        target ?? new Uint8Array(length),
      ).catch(async (error) => {
        if (error instanceof NotFoundError && this.#cache !== undefined && !missingRefreshed) {
          // Another server's prune may have replaced the pack since the last refresh.
          missingRefreshed = true;
          await this.#cache.refresh();
          return "gone" as const;
        }
        return this.#damagedRead(id, error);
      });
      if (found === "unsealed") await this.#sealOf(pack);
      else if (found !== "gone") return found;
    }
    throw new NotFoundError(`Cannot get chunk "${toHex(id)}": it is not stored`);
  }

  /** Seals pack `pack` now if it is the one being filled, and waits for its seal to end. */
  async #sealOf(pack: number): Promise<void> {
    if (this.#current === pack) this.#sealCurrent();
    await this.#packs.get(pack)?.sealing;
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Sets aside a record that did not verify (a push stores it again), then rethrows. */
  #damagedRead(id: Uint8Array, error: unknown): never {
    if (error instanceof NotFoundError) {
      error = new IntegrityError(`Cannot read chunk "${toHex(id)}": its pack object is missing`);
    }
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
   * Sets aside the blobs of `ids` as damaged (see `_quarantine.ts`; with a shared index, in it,
   * so that every server stops serving them at its next refresh): durably first, then they
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
        if (entry !== undefined) found.push({ pack: entry.name, id, slot });
      }
      const added = this.#cache === undefined
        ? await this.#quarantine!.add(found)
        : await this.#cache.setAside(found, MAX_QUARANTINED);
      const lost = new Uint8Array(added.length * CHUNK_ID_BYTES);
      added.forEach(({ id }, i) => lost.set(id, i * CHUNK_ID_BYTES));
      for (const { id, slot } of found.filter((blob) => added.includes(blob))) {
        if (this.#index.find(id) === slot) this.#index.remove(slot);
      }
      this.#lost.push(lost);
      if (added.length > 0) this.#logger.warn("damaged chunks set aside", { chunks: added.length });
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
      await this.#cache?.refresh();
      await deleteS3Chunks(this.#repackContext(), copies).catch((error) => {
        throw storeFailure("delete chunks", error);
      });
    });
    this.#deletes = run.catch(() => {});
    await run;
  }

  /** Removes the blobs not in `live` where that is worth it, as `PackChunkStore.prune` does. */
  prune(live: IdSet, options: PruneOptions): Promise<PruneReport> {
    this.#checkWritable();
    const run = this.#deletes.then(async () => {
      await this.flush();
      await this.#cache?.refresh();
      const { maxUnusedPercent, dryRun } = options;
      const plan = await planPrune(this.#index, this.#packs, live, maxUnusedPercent, this.#target);
      const done = {
        packsBefore: plan.packsBefore,
        bytesBefore: plan.bytesBefore,
        packsDeleted: plan.packsDeleted,
        packsRewritten: plan.packsRewritten,
        blobsRemoved: plan.doomed.length,
        unusedBytesKept: plan.unusedBytesKept,
      };
      if (dryRun) return { ...done, packsAfter: plan.packsAfter, bytesAfter: plan.bytesAfter };
      await this.#checkpoint("prune:planned");
      if (this.#cache !== undefined) {
        // Under the prune's lock no other server repacks: a journal left is a repack cut short.
        await recoverJournals(
          this.#objects,
          this.#root,
          this.#logger,
          (name) => Promise.resolve(this.#packs.numberOf(name) !== undefined),
        );
      }
      await deleteS3Chunks(this.#repackContext(), plan.doomed);
      if (this.#cache !== undefined) {
        await compactS3Packs(this.#repackContext(), this.#duplicateHolders(maxUnusedPercent));
      }
      const after = await packTotals(this.#packs);
      return { ...done, packsAfter: after.packs, bytesAfter: after.bytes };
    });
    this.#deletes = run.then(() => {}, () => {});
    return run;
  }

  /**
   * Flushes, then lets go of the index. Rejects if the final flush fails. Idempotent: every call
   * returns the first one's outcome. The S3 client belongs to the caller.
   */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#closing = true;
    this.#closed = (async () => {
      try {
        await this.#deletes;
        await this.flush();
      } finally {
        while (this.#seals.size > 0) await Promise.all([...this.#seals]);
        this.#released = true;
        this.#index.release();
      }
    })();
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
    const id = newPackId();
    const name = toHex(id);
    let pack = -1;
    const sink = new S3PackSink(this.#objects, packKey(this.#root, name), this.#parts);
    // The writer reports a failed upload at once, so puts stop before the next flush.
    const writer = new PackWriter(id, sink, this.#budget, (error) => {
      this.#track(this.#fail(error, pack));
    });
    pack = this.#packs.add({
      name,
      version: PACK_VERSION,
      size: 0,
      writer,
      slots: [],
      sealed: false,
      sealing: undefined,
    });
    this.#current = pack;
    return pack;
  }

  /** Seals the current pack in the background. */
  #sealCurrent(): void {
    const pack = this.#current;
    if (pack === undefined) return;
    this.#current = undefined;
    const entry = this.#packs.get(pack)!;
    const sealing = this.#seal(pack).catch((error) => this.#fail(error, pack));
    entry.sealing = sealing.catch(() => {});
    this.#track(sealing);
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
    await this.#checkpoint("seal:completed");
    const entries = entry.slots.filter((slot) => this.#index.packOf(slot) === pack).map((slot) => ({
      id: this.#index.idOf(slot),
      offset: this.#index.offsetOf(slot),
      length: this.#index.lengthOf(slot),
    }));
    const index = encodeIndex(writer.id, entries, PACK_VERSION, packHash);
    await this.#objects.write(indexKey(this.#root, entry.name), index, { createNew: true });
    entry.size = writer.size;
    await this.#cache?.sealed(pack, entries);
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
    this.#packs.remove(pack);
    try {
      await entry.writer?.abort();
      await this.#objects.remove([
        indexKey(this.#root, entry.name),
        packKey(this.#root, entry.name),
      ]);
    } catch {
      // What is left (an upload, a pack without an index) is sorted out by the next open.
    }
  }

  #repackContext(): S3RepackContext {
    return {
      objects: this.#objects,
      root: this.#root,
      parts: this.#parts,
      targetBytes: this.#target,
      index: this.#index,
      packs: this.#packs,
      budget: this.#budget,
      checkpoint: this.#checkpoint,
      fail: (error) => this.#track(this.#fail(error)),
      ...(this.#cache === undefined ? {} : {
        commit: (removed, added) => this.#cache!.commitRepack(removed, added),
      }),
    };
  }
}
