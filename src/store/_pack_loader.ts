/**
 * Opening a pack store: make its folders, finish or undo an interrupted repack, remove what a
 * crash left (`.pack.tmp` files, temp files of atomic writes) and load every index into memory.
 *
 * Invariant: opening never deletes a sealed pack. A `.pack` without an index (a crash between
 * its rename and its index write, or a lost index file) and a pack whose index is damaged get
 * their index rebuilt from the pack's own records. An index whose pack is gone is kept but not
 * loaded: its ids are reported lost, so the store opens without them and a push stores them
 * again; once every one of them is stored again, the index is removed.
 *
 * Loading lets the event loop turn (a timer, the only kind of wait that lets sockets be read too)
 * whenever it has run `SLICE_MS` without one, counted across the index files read in parallel,
 * so opening a repository of millions of chunks does not stall the server's other sessions.
 *
 * @module
 */
import { syncDir, writeFileAtomic } from "../atomic_file.ts";
import { releaseBytes } from "../release_bytes.ts";
import { errorMessage, IntegrityError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ChunkIndex } from "./_chunk_index.ts";
import { CHUNK_ID_BYTES, toHex } from "../format/chunk_id.ts";
import {
  type DecodedIndex,
  decodeIndex,
  encodeIndex,
  type IndexEntry,
  type PackVersion,
} from "./_pack_format.ts";
import {
  indexDir,
  journalDir,
  PACK_NAME,
  PackPaths,
  packsDir,
  removeIfPresent,
} from "./_pack_layout.ts";
import { scanPack } from "./_pack_scan.ts";
import { Quarantine } from "./_quarantine.ts";
import { recoverJournals } from "./_repack_journal.ts";

/** Index files read at once while opening. */
const PARALLEL_READS = 2;
/** Longest run of loading, in milliseconds, between two turns of the event loop. */
const SLICE_MS = 10;
/** Index entries loaded before looking at the clock again. */
const ENTRIES_PER_STEP = 1024;

/** What an open found missing: blobs the store cannot serve although an index lists them. */
export interface LoadReport {
  /**
   * Ids (32 bytes each, back to back) the store cannot serve: listed by indexes whose pack is
   * gone, or set aside as damaged (`quarantine`).
   */
  lost: Uint8Array;
  /** The blobs set aside as damaged, left out of the index. */
  quarantine: Quarantine;
  /** Damaged indexes whose pack is gone too: how many blobs they listed is unknown. */
  unreadableIndexes: number;
}

interface Loader {
  root: string;
  index: ChunkIndex;
  quarantine: Quarantine;
  /** Ids left out because they are set aside. */
  setAside: Uint8Array[];
  addPack: (paths: PackPaths, version: PackVersion) => number;
  logger: Logger;
  turns: Turns;
}

/**
 * Lets the event loop turn once loading has run `SLICE_MS`, whichever read did the work. File
 * reads alone are no such turn: awaiting one does not let the server read its sockets.
 */
class Turns {
  #since = performance.now();

  /** Waits for a turn of the event loop (a timer) when the slice is used up. */
  async pause(): Promise<void> {
    if (performance.now() - this.#since < SLICE_MS) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.#since = performance.now();
  }
}

/**
 * Loads the store in `root` into `index`, calling `addPack` for each pack it loads (it returns
 * the pack's number). Problems are logged with their paths, for the operator.
 */
export async function loadStore(
  root: string,
  index: ChunkIndex,
  addPack: (paths: PackPaths, version: PackVersion) => number,
  logger: Logger,
): Promise<LoadReport> {
  await prepareDirs(root);
  const quarantine = await Quarantine.load(root, logger);
  const loader: Loader = {
    root,
    index,
    quarantine,
    setAside: [],
    addPack,
    logger,
    turns: new Turns(),
  };
  await recoverJournals(root, logger);
  const indexed = await listIndexes(root);
  const packs = await listPacks(root);
  const orphans: { paths: PackPaths; decoded: DecodedIndex }[] = [];
  const rebuild = new Map<string, string>();
  let unreadableIndexes = 0;
  const names = [...indexed];
  const load = async () => {
    for (let name = names.pop(); name !== undefined; name = names.pop()) {
      await loader.turns.pause();
      const paths = new PackPaths(root, name);
      let bytes: Uint8Array;
      let decoded: DecodedIndex;
      try {
        bytes = await Deno.readFile(paths.index);
        decoded = readIndex(bytes, paths);
      } catch (error) {
        if (!(error instanceof IntegrityError)) throw error;
        if (packs.has(name)) rebuild.set(name, errorMessage(error));
        else {
          unreadableIndexes++;
          logger.error("damaged index whose pack is missing: its chunks are lost", {
            index: paths.index,
            reason: errorMessage(error),
          });
        }
        continue;
      }
      if (packs.has(name)) {
        await addEntries(loader, paths, decoded.version, decoded);
        releaseBytes(bytes); // copied into the index: free it now, not when the collector runs
      } else orphans.push({ paths, decoded });
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_READS }, load));
  for (const name of packs) if (!indexed.has(name)) rebuild.set(name, "its index is missing");
  for (const [name, reason] of rebuild) {
    await rebuildIndex(loader, new PackPaths(root, name), reason);
  }
  await index.orderAppended(() => loader.turns.pause());
  const lost: Uint8Array[] = [...loader.setAside];
  for (const orphan of orphans) {
    lost.push(...await checkOrphan(loader, orphan.paths, orphan.decoded));
  }
  return { lost: joinIds(lost), quarantine, unreadableIndexes };
}

function readIndex(bytes: Uint8Array, paths: PackPaths): DecodedIndex {
  const decoded = decodeIndex(bytes, paths.index);
  if (!PACK_NAME.test(paths.name) || toHex(decoded.packId) !== paths.name) {
    throw new IntegrityError(`Cannot load index "${paths.index}": it names another pack`);
  }
  return decoded;
}

/**
 * Appends a pack's entries to the index (ordered once all are in, keeping the first copy of an
 * id loaded twice), letting the event loop turn as {@link Turns} says.
 */
async function addEntries(
  loader: Loader,
  paths: PackPaths,
  version: PackVersion,
  entries: DecodedIndex | readonly IndexEntry[],
): Promise<void> {
  const pack = loader.addPack(paths, version);
  const { quarantine } = loader;
  const add = (bytes: Uint8Array, at: number, offset: number, length: number) => {
    const id = quarantine.size > 0 ? bytes.subarray(at, at + CHUNK_ID_BYTES) : null;
    if (id !== null && quarantine.has(paths.name, id)) loader.setAside.push(id.slice());
    else loader.index.append(bytes, pack, offset, length, at);
  };
  const list = Array.isArray(entries) ? entries as readonly IndexEntry[] : undefined;
  const count = list?.length ?? (entries as DecodedIndex).count;
  for (let from = 0; from < count; from += ENTRIES_PER_STEP) {
    const to = Math.min(count, from + ENTRIES_PER_STEP);
    if (list === undefined) (entries as DecodedIndex).forEach(add, from, to);
    else for (const e of list.slice(from, to)) add(e.id, 0, e.offset, e.length);
    await loader.turns.pause();
  }
}

/**
 * Writes a new index for a sealed pack from its records (a damaged index is kept beside it as
 * `.idx.damaged`) and loads it. A file that is not a pack is left alone.
 */
async function rebuildIndex(loader: Loader, paths: PackPaths, reason: string): Promise<void> {
  const scan = await scanPack(paths.pack);
  if (scan === null) {
    loader.logger.error("file in the packs folder is not a pack: left alone", {
      pack: paths.pack,
      reason,
    });
    return;
  }
  const packId = Uint8Array.fromHex(paths.name);
  if (reason !== "its index is missing") await Deno.rename(paths.index, `${paths.index}.damaged`);
  await writeFileAtomic(paths.index, encodeIndex(packId, scan.entries, scan.version));
  await addEntries(loader, paths, scan.version, scan.entries);
  loader.logger.warn("pack index rebuilt from the pack's records", {
    pack: paths.pack,
    reason,
    chunks: scan.entries.length,
    damage: scan.damage,
  });
}

/**
 * The ids of an index whose pack is gone that are not stored elsewhere; the index is removed
 * once there are none left.
 */
async function checkOrphan(
  loader: Loader,
  paths: PackPaths,
  decoded: DecodedIndex,
): Promise<Uint8Array[]> {
  const lost: Uint8Array[] = [];
  decoded.forEach((bytes, at) => {
    if (loader.index.find(bytes, at) < 0) lost.push(bytes.slice(at, at + CHUNK_ID_BYTES));
  });
  if (lost.length === 0) {
    await removeIfPresent(paths.index);
    loader.logger.info("index of a missing pack removed: all its chunks are stored again", {
      index: paths.index,
    });
  } else {
    loader.logger.error("pack is missing: its chunks are lost", {
      pack: paths.pack,
      index: paths.index,
      chunks: lost.length,
    });
  }
  return lost;
}

function joinIds(ids: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(ids.length * CHUNK_ID_BYTES);
  ids.forEach((id, i) => all.set(id, i * CHUNK_ID_BYTES));
  return all;
}

async function prepareDirs(root: string): Promise<void> {
  if (await ensureDir(root, true)) await syncDir(`${root}/..`);
  let created = false;
  for (const dir of [packsDir(root), indexDir(root), journalDir(root)]) {
    if (await ensureDir(dir, false)) created = true;
  }
  if (created) await syncDir(root);
}

/** Creates `dir` if missing; true when it did. */
async function ensureDir(dir: string, recursive: boolean): Promise<boolean> {
  try {
    await Deno.mkdir(dir, { mode: 0o700, recursive: false });
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    if (recursive && error instanceof Deno.errors.NotFound) {
      await Deno.mkdir(dir, { mode: 0o700, recursive: true });
      return true;
    }
    throw error;
  }
}

/** Names of the packs that have an index; removes temp files left by atomic writes. */
async function listIndexes(root: string): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const entry of Deno.readDir(indexDir(root))) {
    const name = entry.name.slice(0, -".idx".length);
    if (entry.name.endsWith(".idx") && PACK_NAME.test(name)) names.add(name);
    else if (entry.name.startsWith(".") && entry.name.endsWith(".tmp")) {
      await removeIfPresent(`${indexDir(root)}/${entry.name}`);
    }
  }
  return names;
}

/**
 * Names of the sealed packs; removes `.pack.tmp` files, which come only from a crash before the
 * seal that would have renamed them, so no committed snapshot names a blob in them.
 */
async function listPacks(root: string): Promise<Set<string>> {
  const present = new Set<string>();
  for await (const folder of Deno.readDir(packsDir(root))) {
    if (!folder.isDirectory) continue;
    const dir = `${packsDir(root)}/${folder.name}`;
    for await (const entry of Deno.readDir(dir)) {
      const name = entry.name.slice(0, entry.name.indexOf("."));
      if (!PACK_NAME.test(name) || !entry.isFile || !name.startsWith(folder.name)) continue;
      if (entry.name === `${name}.pack`) present.add(name);
      else if (entry.name === `${name}.pack.tmp`) await removeIfPresent(`${dir}/${entry.name}`);
    }
  }
  return present;
}
