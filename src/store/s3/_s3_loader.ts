/**
 * Opening an S3 chunk store: abort the multipart uploads a crash left (their packs never
 * appeared, and no snapshot names a blob in them), finish or undo an interrupted repack, and load
 * every index object into memory.
 *
 * Invariant, as for the local pack store: opening never deletes a sealed pack. A pack without an
 * index (a crash between completing its upload and storing its index) and a pack whose index is
 * damaged get their index rebuilt from the pack's own records. An index whose pack is gone is
 * kept but not loaded: its ids are reported lost, and once every one of them is stored again the
 * index is removed.
 *
 * @module
 */
import { errorMessage, IntegrityError, NotFoundError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { releaseBytes } from "../../release_bytes.ts";
import { CHUNK_ID_BYTES, toHex } from "../../format/chunk_id.ts";
import type { ChunkIndex } from "../_chunk_index.ts";
import {
  type DecodedIndex,
  decodeIndex,
  encodeIndex,
  type IndexEntry,
  type PackVersion,
} from "../_pack_format.ts";
import { scanPackWith } from "../_pack_scan.ts";
import { Quarantine } from "../_quarantine.ts";
import { parseJournal } from "../_repack_journal.ts";
import { indexKey, journalKey, nameIn, packKey, quarantineKey } from "./_s3_layout.ts";
import type { ObjectStore } from "./object_store.ts";

/** Index objects read at once while opening. */
const PARALLEL_READS = 4;
/** Index entries loaded before letting the event loop turn. */
const ENTRIES_PER_TURN = 16_384;

/** What an open found: blobs listed but not servable, and the quarantine. */
export interface S3LoadReport {
  /** Ids (32 bytes each, back to back) listed by indexes whose pack is gone, or set aside. */
  lost: Uint8Array;
  quarantine: Quarantine;
  /** Damaged indexes whose pack is gone too. */
  unreadableIndexes: number;
}

/** Registers a sealed pack with the store; returns its number. */
export type AddPack = (name: string, version: PackVersion, size: number) => number;

interface Loader {
  objects: ObjectStore;
  root: string;
  index: ChunkIndex;
  quarantine: Quarantine;
  setAside: Uint8Array[];
  addPack: AddPack;
  logger: Logger;
}

/** Loads the store under `root` into `index`, calling `addPack` for each pack it loads. */
export async function loadS3Store(
  objects: ObjectStore,
  root: string,
  index: ChunkIndex,
  addPack: AddPack,
  logger: Logger,
): Promise<S3LoadReport> {
  await abortUploads(objects, root, logger);
  const quarantine = await loadQuarantine(objects, root, logger);
  const loader: Loader = { objects, root, index, quarantine, setAside: [], addPack, logger };
  await recoverJournals(objects, root, logger);
  const indexed = await listNames(objects, root, "index/", ".idx");
  const packs = await listNames(objects, root, "packs/", ".pack");
  const orphans: DecodedIndex[] = [];
  const rebuild = new Map<string, string>();
  let unreadableIndexes = 0;
  const names = [...indexed.keys()];
  const load = async () => {
    for (let name = names.pop(); name !== undefined; name = names.pop()) {
      let bytes: Uint8Array;
      let decoded: DecodedIndex;
      try {
        bytes = await objects.readAll(indexKey(root, name));
        decoded = readIndex(bytes, root, name);
      } catch (error) {
        if (!(error instanceof IntegrityError)) throw error;
        if (packs.has(name)) rebuild.set(name, errorMessage(error));
        else {
          unreadableIndexes++;
          logger.error("damaged index whose pack is missing: its chunks are lost", {
            index: indexKey(root, name),
            reason: errorMessage(error),
          });
        }
        continue;
      }
      if (packs.has(name)) {
        await addEntries(loader, name, decoded.version, packs.get(name)!, decoded);
        releaseBytes(bytes);
      } else orphans.push(decoded);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_READS }, load));
  for (const name of packs.keys()) {
    if (!indexed.has(name)) rebuild.set(name, "its index is missing");
  }
  for (const [name, reason] of rebuild) await rebuildIndex(loader, name, packs.get(name)!, reason);
  await index.orderAppended(turn);
  const lost: Uint8Array[] = [...loader.setAside];
  for (const orphan of orphans) lost.push(...await checkOrphan(loader, orphan));
  const all = new Uint8Array(lost.length * CHUNK_ID_BYTES);
  lost.forEach((id, i) => all.set(id, i * CHUNK_ID_BYTES));
  return { lost: all, quarantine, unreadableIndexes };
}

/**
 * Aborts the multipart uploads under `root`: with one server per store only a crash leaves one,
 * so all of them; with `startedBefore`, where other servers may be uploading right now, only
 * those started before it (an upload of unknown start is kept).
 */
export async function abortUploads(
  objects: ObjectStore,
  root: string,
  logger: Logger,
  startedBefore?: Date,
): Promise<void> {
  let aborted = 0;
  for await (const upload of objects.listUploads(root)) {
    const started = upload.initiated;
    if (startedBefore !== undefined && (started === undefined || started >= startedBefore)) {
      continue;
    }
    await objects.abortUpload(upload.key, upload.uploadId);
    aborted++;
  }
  if (aborted > 0) logger.info("unfinished pack uploads aborted", { uploads: aborted, root });
}

/** Reads the quarantine object of the store under `root` (an empty one when there is none). */
export async function loadQuarantine(
  objects: ObjectStore,
  root: string,
  logger: Logger,
): Promise<Quarantine> {
  const key = quarantineKey(root);
  let text = "";
  try {
    text = new TextDecoder().decode(await objects.readAll(key));
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  const save = (next: string) => objects.write(key, new TextEncoder().encode(next));
  return Quarantine.parse(text, key, save, logger);
}

/**
 * Completes or undoes every repack a crash interrupted: a journal whose step was committed is
 * rolled forward (the old indexes, then the old packs, are removed), any other rolled back (the
 * new pack and its index, if any, are removed). A step is committed once its new index exists,
 * or, with a shared index, once that lists the new pack (`committed`). A journal that does not
 * parse is removed and logged: its new pack, if any, then gets an index rebuilt and its blobs
 * are listed once (a store with a shared index never rebuilds: the pack stays unused).
 */
export async function recoverJournals(
  objects: ObjectStore,
  root: string,
  logger: Logger,
  committed?: (name: string) => Promise<boolean>,
): Promise<void> {
  const journals = await listNames(objects, root, "journal/", ".repack");
  if (journals.size === 0) return;
  const indexed = committed === undefined
    ? await listNames(objects, root, "index/", ".idx")
    : undefined;
  const isCommitted = committed ?? ((name: string) => Promise.resolve(indexed!.has(name)));
  for (const name of journals.keys()) {
    const key = journalKey(root, name);
    const journal = parseJournal(new TextDecoder().decode(await objects.readAll(key)));
    if (journal === null || journal.target !== name) {
      logger.error("repack journal is damaged: removed, its packs kept", { journal: key });
    } else if (await isCommitted(name)) await removeSources(objects, root, journal.sources);
    else await objects.remove([indexKey(root, name), packKey(root, name)]);
    await objects.remove([key]);
  }
}

/** Removes replaced packs: all their indexes first, then the packs, so no index outlives its pack. */
export async function removeSources(
  objects: ObjectStore,
  root: string,
  sources: readonly string[],
  between?: () => void | Promise<void>,
): Promise<void> {
  await objects.remove(sources.map((name) => indexKey(root, name)));
  await between?.();
  await objects.remove(sources.map((name) => packKey(root, name)));
}

/** The pack names of the objects under `folder` with `suffix`, with each object's size. */
async function listNames(
  objects: ObjectStore,
  root: string,
  folder: string,
  suffix: string,
): Promise<Map<string, number>> {
  const names = new Map<string, number>();
  for await (const { key, size } of objects.list(`${root}${folder}`)) {
    const name = nameIn(root, folder, suffix, key);
    if (name !== null) names.set(name, size);
  }
  return names;
}

function readIndex(bytes: Uint8Array, root: string, name: string): DecodedIndex {
  const decoded = decodeIndex(bytes, indexKey(root, name));
  if (toHex(decoded.packId) !== name) {
    throw new IntegrityError(`Cannot load index "${indexKey(root, name)}": it names another pack`);
  }
  return decoded;
}

/** Appends a pack's entries to the index (ordered once all are in), leaving set-aside ones out. */
async function addEntries(
  loader: Loader,
  name: string,
  version: PackVersion,
  size: number,
  entries: DecodedIndex | readonly IndexEntry[],
): Promise<void> {
  const pack = loader.addPack(name, version, size);
  const { quarantine } = loader;
  let added = 0;
  const add = (bytes: Uint8Array, at: number, offset: number, length: number) => {
    const id = quarantine.size > 0 ? bytes.subarray(at, at + CHUNK_ID_BYTES) : null;
    if (id !== null && quarantine.has(name, id)) loader.setAside.push(id.slice());
    else loader.index.append(bytes, pack, offset, length, at);
    added++;
  };
  if (Array.isArray(entries)) {
    for (const e of entries as readonly IndexEntry[]) add(e.id, 0, e.offset, e.length);
  } else {
    const decoded = entries as DecodedIndex;
    for (let from = 0; from < decoded.count; from += ENTRIES_PER_TURN) {
      decoded.forEach(add, from, from + ENTRIES_PER_TURN);
      await turn();
    }
  }
}

/** Writes a new index for a sealed pack from its records (a damaged one is kept aside) and loads it. */
async function rebuildIndex(
  loader: Loader,
  name: string,
  size: number,
  reason: string,
): Promise<void> {
  const { objects, root, logger } = loader;
  const bytes = await objects.readAll(packKey(root, name));
  const scan = await scanPackWith(bytes.length, (offset, target) => {
    const piece = bytes.subarray(offset, offset + target.length);
    target.set(piece);
    return Promise.resolve(piece.length);
  });
  if (scan === null) {
    logger.error("object in the packs folder is not a pack: left alone", {
      pack: packKey(root, name),
      reason,
    });
    return;
  }
  if (reason !== "its index is missing") {
    await objects.write(
      `${indexKey(root, name)}.damaged`,
      await objects.readAll(indexKey(root, name)),
    );
  }
  const packId = Uint8Array.fromHex(name);
  await objects.write(indexKey(root, name), encodeIndex(packId, scan.entries, scan.version));
  await addEntries(loader, name, scan.version, size, scan.entries);
  logger.warn("pack index rebuilt from the pack's records", {
    pack: packKey(root, name),
    reason,
    chunks: scan.entries.length,
    damage: scan.damage,
  });
}

/** The ids of an index whose pack is gone that are not stored elsewhere; removes it when none. */
async function checkOrphan(loader: Loader, decoded: DecodedIndex): Promise<Uint8Array[]> {
  const { objects, root, logger } = loader;
  const key = indexKey(root, toHex(decoded.packId));
  const lost: Uint8Array[] = [];
  decoded.forEach((bytes, at) => {
    if (loader.index.find(bytes, at) < 0) lost.push(bytes.slice(at, at + CHUNK_ID_BYTES));
  });
  if (lost.length === 0) {
    await objects.remove([key]);
    logger.info("index of a missing pack removed: all its chunks are stored again", { index: key });
  } else {
    logger.error("pack is missing: its chunks are lost", { index: key, chunks: lost.length });
  }
  return lost;
}

/** Lets the event loop turn (a timer, so sockets are read too). */
function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
