/**
 * Opening a pack store: make its folders, finish or undo an interrupted repack, remove what a
 * crash left (`.pack.tmp` files, packs without an index, temp files of atomic writes) and load
 * every index into memory.
 *
 * @module
 */
import { syncDir } from "../atomic_file.ts";
import { IntegrityError } from "../errors.ts";
import type { ChunkIndex } from "./_chunk_index.ts";
import { toHex } from "./chunk_store.ts";
import { decodeIndex } from "./_pack_format.ts";
import {
  indexDir,
  journalDir,
  PACK_NAME,
  PackPaths,
  packsDir,
  removeIfPresent,
} from "./_pack_layout.ts";
import { recoverJournals } from "./_repack_journal.ts";

/** Index files read at once while opening. */
const PARALLEL_READS = 8;

/**
 * Loads the store in `root` into `index`, calling `addPack` for each pack with an index (it
 * returns the pack's number).
 * @throws {IntegrityError} naming a damaged index file, or an index whose pack is missing.
 */
export async function loadStore(
  root: string,
  index: ChunkIndex,
  addPack: (paths: PackPaths) => number,
): Promise<void> {
  await prepareDirs(root);
  await recoverJournals(root);
  const indexed = await listIndexes(root);
  const present = await sweepPacks(root, indexed);
  const names = [...indexed];
  const load = async () => {
    for (let name = names.pop(); name !== undefined; name = names.pop()) {
      const paths = new PackPaths(root, name);
      const bytes = await Deno.readFile(paths.index);
      if (!present.has(name)) {
        throw new IntegrityError(`Cannot load index "${paths.index}": its pack is missing`);
      }
      addEntries(index, bytes, paths, addPack);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_READS }, load));
}

function addEntries(
  index: ChunkIndex,
  bytes: Uint8Array,
  paths: PackPaths,
  addPack: (paths: PackPaths) => number,
): void {
  const decoded = decodeIndex(bytes, paths.index);
  if (!PACK_NAME.test(paths.name) || toHex(decoded.packId) !== paths.name) {
    throw new IntegrityError(`Cannot load index "${paths.index}": it names another pack`);
  }
  const pack = addPack(paths);
  decoded.forEach((id, offset, length) => {
    // An id in two indexes cannot come from this store's own writes (puts skip present ids and
    // repacks are journaled); keep the first copy.
    if (index.find(id) < 0) index.add(id, pack, offset, length);
  });
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
    if (entry.name.endsWith(".idx")) names.add(entry.name.slice(0, -".idx".length));
    else if (entry.name.startsWith(".") && entry.name.endsWith(".tmp")) {
      await removeIfPresent(`${indexDir(root)}/${entry.name}`);
    }
  }
  return names;
}

/**
 * Removes `.pack.tmp` files and packs without an index: both come only from a crash before the
 * flush that would have made them durable, so no committed snapshot names a chunk in them.
 * @returns the names of the packs that remain.
 */
async function sweepPacks(root: string, indexed: Set<string>): Promise<Set<string>> {
  const present = new Set<string>();
  for await (const folder of Deno.readDir(packsDir(root))) {
    if (!folder.isDirectory) continue;
    const dir = `${packsDir(root)}/${folder.name}`;
    for await (const entry of Deno.readDir(dir)) {
      const name = entry.name.slice(0, entry.name.indexOf("."));
      if (!PACK_NAME.test(name)) continue;
      if (entry.name.endsWith(".pack") && indexed.has(name)) present.add(name);
      else if (entry.name.endsWith(".pack") || entry.name.endsWith(".pack.tmp")) {
        await removeIfPresent(`${dir}/${entry.name}`);
      }
    }
  }
  return present;
}
