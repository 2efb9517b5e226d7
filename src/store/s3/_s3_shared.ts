/**
 * The S3 chunk store's in-memory index as a cache of a `SharedChunkIndex` that several servers
 * write: loaded whole at open, topped up with the batches other servers added since (`refresh`),
 * told of every pack this server seals, of every repack step it commits and of every blob it sets
 * aside as damaged. Refreshes run one at a time.
 *
 * Invariants: the cache never holds a location the shared index does not know, once a refresh
 * that started after its removal has run: a refresh that finds the epoch raised drops every
 * sealed pack the shared index no longer lists, with its blobs, before adding new rows; one that
 * finds blobs set aside drops their locations. A repack step is committed to the shared index
 * (`commitRepack`) before any object it replaces is removed.
 *
 * @module
 */
import type { ChunkIndex } from "../_chunk_index.ts";
import type { QuarantinedBlob } from "../_quarantine.ts";
import type {
  SharedChunkIndex,
  SharedCursor,
  SharedLocation,
  SharedPack,
} from "../chunk_index_shared.ts";
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
      this.#packs.add(sealedEntry(pack.name, pack.version, pack.size));
    }
    let count = 0;
    for (const row of changes.rows) {
      const pack = this.#packs.numberOf(row.pack);
      if (pack !== undefined) this.#index.append(row.id, pack, row.offset, row.length);
      if (++count % ROWS_PER_TURN === 0) await turn();
    }
    await this.#index.orderAppended(turn);
    this.#cursor = changes.cursor;
  }

  /** Adds what other servers stored since the last load or refresh; drops what they removed. */
  refresh(): Promise<void> {
    const run = this.#running.then(() => this.#refresh());
    this.#running = run.catch(() => {});
    return run;
  }

  async #refresh(): Promise<void> {
    const changes = await this.#shared.changesSince(this.#cursor);
    if (changes.packNames !== null) this.#dropPacksNotIn(changes.packNames);
    this.#dropSetAside(changes.setAside);
    for (const pack of changes.packs) {
      if (this.#packs.numberOf(pack.name) !== undefined) continue; // sealed or repacked here
      this.#packs.add(sealedEntry(pack.name, pack.version, pack.size));
    }
    for (const row of changes.rows) {
      const pack = this.#packs.numberOf(row.pack);
      if (pack === undefined) continue;
      // An id held already is a duplicate this server stored too: either copy serves it.
      this.#index.add(row.id, pack, row.offset, row.length);
    }
    this.#cursor = changes.cursor;
  }

  /** Forgets the sealed packs `names` lacks, with their blobs. */
  #dropPacksNotIn(names: Set<string>): void {
    const gone = new Set<number>();
    for (const [pack, entry] of this.#packs.sealed()) {
      if (!names.has(entry.name)) gone.add(pack);
    }
    if (gone.size === 0) return;
    for (const slot of [...this.#index.slots()]) {
      if (gone.has(this.#index.packOf(slot))) this.#index.remove(slot);
    }
    for (const pack of gone) this.#packs.remove(pack);
  }

  /** Forgets the locations of blobs another server set aside. */
  #dropSetAside(blobs: readonly { pack: string; id: Uint8Array }[]): void {
    for (const { pack, id } of blobs) {
      const slot = this.#index.find(id);
      if (slot >= 0 && this.#index.packOf(slot) === this.#packs.numberOf(pack)) {
        this.#index.remove(slot);
      }
    }
  }

  /**
   * Records pack `pack`, sealed here with `blobs`, in the shared index; a blob another server
   * located first is served from there from now on, so this server's copy is a duplicate that
   * a prune reclaims, as it is for every other server.
   */
  async sealed(pack: number, blobs: SharedLocation[]): Promise<void> {
    const entry = this.#packs.get(pack)!;
    const packRow = { name: entry.name, version: entry.version, size: entry.size };
    const elsewhere = await this.#shared.addPack(packRow, blobs);
    if (elsewhere.length === 0) return;
    await this.refresh();
    for (const location of elsewhere) {
      const other = this.#packs.numberOf(location.pack);
      const slot = this.#index.find(location.id);
      if (other !== undefined && slot >= 0) this.#index.move(slot, other, location.offset);
    }
  }

  /**
   * Commits one repack step to the shared index: the packs `removed` gone, `added` (if any) in
   * their place. From then on every server reads their blobs from `added`.
   */
  async commitRepack(
    removed: string[],
    added: { pack: SharedPack; blobs: SharedLocation[] } | null,
  ): Promise<void> {
    await this.#shared.replacePacks(removed, added === null ? [] : [added]);
  }

  /**
   * Sets `blobs` aside in the shared index (their rows go, so every server stops listing them
   * and a push stores them anew), at most `room` of them.
   * @returns the ones set aside: not those whose row had moved or gone already
   */
  setAside(blobs: QuarantinedBlob[], room: number): Promise<QuarantinedBlob[]> {
    return this.#shared.setAside(blobs, room);
  }
}
