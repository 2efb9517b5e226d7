/**
 * The S3 chunk store's in-memory index as a cache of a `SharedChunkIndex` that several servers
 * write: loaded whole at open, topped up with the batches other servers added since (`refresh`),
 * told of every pack this server seals and of every repack it makes. Refreshes run one at a time.
 *
 * Invariant: the cache never holds a location the shared index does not know, once a refresh that
 * started after its removal has run: a refresh that finds the epoch raised drops every sealed pack
 * the shared index no longer lists, with its blobs, before adding new rows.
 *
 * @module
 */
import type { ChunkIndex } from "../_chunk_index.ts";
import type { SharedChunkIndex, SharedCursor, SharedLocation } from "../chunk_index_shared.ts";
import type { S3PackEntry, S3PackTable } from "./_s3_pack_table.ts";

/** Index entries added before letting the event loop turn. */
const ROWS_PER_TURN = 16_384;

const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A sealed pack's table entry. */
function sealedEntry(name: string, version: S3PackEntry["version"], size: number): S3PackEntry {
  return { name, version, size, writer: undefined, slots: [], sealed: true, sealing: undefined };
}

/** Keeps `index` and `packs` in step with `shared`. */
export class S3SharedCache {
  readonly #shared: SharedChunkIndex;
  readonly #index: ChunkIndex;
  readonly #packs: S3PackTable;
  readonly #byName = new Map<string, number>();
  #cursor: SharedCursor | null = null;
  #running: Promise<void> = Promise.resolve();

  constructor(shared: SharedChunkIndex, index: ChunkIndex, packs: S3PackTable) {
    this.#shared = shared;
    this.#index = index;
    this.#packs = packs;
  }

  /** Loads the whole shared index into the empty `index` and `packs`. */
  async load(): Promise<void> {
    const changes = await this.#shared.changesSince(null);
    for (const pack of changes.packs) {
      this.#byName.set(pack.name, this.#packs.add(sealedEntry(pack.name, pack.version, pack.size)));
    }
    let count = 0;
    for (const row of changes.rows) {
      const pack = this.#byName.get(row.pack);
      if (pack !== undefined) this.#index.append(row.id, pack, row.offset, row.length);
      if (++count % ROWS_PER_TURN === 0) await turn();
    }
    await this.#index.orderAppended(turn);
    this.#cursor = changes.cursor;
  }

  /** Adds what other servers stored since the last load or refresh; drops repacked packs. */
  refresh(): Promise<void> {
    const run = this.#running.then(() => this.#refresh());
    this.#running = run.catch(() => {});
    return run;
  }

  async #refresh(): Promise<void> {
    const changes = await this.#shared.changesSince(this.#cursor);
    if (changes.packNames !== null) this.#dropPacksNotIn(changes.packNames);
    for (const pack of changes.packs) {
      if (this.#byName.has(pack.name)) continue; // sealed here
      this.#byName.set(pack.name, this.#packs.add(sealedEntry(pack.name, pack.version, pack.size)));
    }
    for (const row of changes.rows) {
      const pack = this.#byName.get(row.pack);
      if (pack === undefined) continue;
      // An id held already is a duplicate this server stored too: either copy serves it.
      this.#index.add(row.id, pack, row.offset, row.length);
    }
    this.#cursor = changes.cursor;
  }

  /** Forgets the sealed packs `names` lacks, with their blobs. */
  #dropPacksNotIn(names: Set<string>): void {
    const gone = new Set<number>();
    for (const [name, pack] of this.#byName) {
      if (!names.has(name) && this.#packs.get(pack)?.sealed === true) gone.add(pack);
    }
    if (gone.size === 0) return;
    for (const slot of [...this.#index.slots()]) {
      if (gone.has(this.#index.packOf(slot))) this.#index.remove(slot);
    }
    for (const pack of gone) {
      this.#byName.delete(this.#packs.get(pack)!.name);
      this.#packs.remove(pack);
    }
  }

  /**
   * Records pack `pack`, sealed here with `blobs`, in the shared index; a blob another server
   * located first is served from there from now on, so this server's copy is a duplicate that
   * a prune reclaims, as it is for every other server.
   */
  async sealed(pack: number, blobs: SharedLocation[]): Promise<void> {
    const entry = this.#packs.get(pack)!;
    this.#byName.set(entry.name, pack);
    const packRow = { name: entry.name, version: entry.version, size: entry.size };
    const elsewhere = await this.#shared.addPack(packRow, blobs);
    if (elsewhere.length === 0) return;
    await this.refresh();
    for (const location of elsewhere) {
      const other = this.#byName.get(location.pack);
      const slot = this.#index.find(location.id);
      if (other !== undefined && slot >= 0) this.#index.move(slot, other, location.offset);
    }
  }

  /** The names of the sealed packs, to hand to `repacked` after a repack. */
  sealedNames(): Set<string> {
    return new Set([...this.#packs.sealed()].map(([, entry]) => entry.name));
  }

  /** Records in the shared index what a repack did: the packs of `before` gone, new ones added. */
  async repacked(before: Set<string>): Promise<void> {
    const after = new Map<string, number>();
    for (const [pack, entry] of this.#packs.sealed()) after.set(entry.name, pack);
    const removed = [...before].filter((name) => !after.has(name));
    const addedPacks = [...after].filter(([name]) => !before.has(name));
    if (removed.length === 0 && addedPacks.length === 0) return;
    const blobsOf = new Map<number, SharedLocation[]>(addedPacks.map(([, pack]) => [pack, []]));
    for (const slot of this.#index.slots()) {
      blobsOf.get(this.#index.packOf(slot))?.push({
        id: this.#index.idOf(slot),
        offset: this.#index.offsetOf(slot),
        length: this.#index.lengthOf(slot),
      });
    }
    const added = addedPacks.map(([name, pack]) => {
      const entry = this.#packs.get(pack)!;
      return {
        pack: { name, version: entry.version, size: entry.size },
        blobs: blobsOf.get(pack)!,
      };
    });
    for (const name of removed) this.#byName.delete(name);
    for (const [name, pack] of addedPacks) this.#byName.set(name, pack);
    await this.#shared.replacePacks(removed, added);
  }
}
