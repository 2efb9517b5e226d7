/**
 * Checking a repository from the client, the only side that can read it: every snapshot record
 * opens, every manifest reads (its chunks fetched and verified), and every chunk a manifest
 * names is among the chunks the server holds. With `readData`, every chunk the snapshots'
 * files reference (or the chosen subset, `data_subset.ts`) is downloaded once and verified (tag
 * and keyed id) through the restore pipeline (`RemoteChunkSource` with open workers); blobs that
 * do not open are reported to the server, which sets them aside. It reads the referenced chunks,
 * not every stored blob: a blob no snapshot names cannot hurt a restore, a prune removes it, and
 * `burrow scrub` checks every stored byte on the server without a key.
 *
 * Invariant: a snapshot is "ok" only when every chunk it names is held and, for the chunks read,
 * verified; a damaged one names its affected files.
 *
 * @module
 */
import type { BurrowClient } from "../client/burrow_client.ts";
import type { ChunkWant } from "../client/chunk_source.ts";
import type { RemoteRepository, SnapshotListing } from "../client/remote_repository.ts";
import { errorMessage, IntegrityError } from "../errors.ts";
import { IdHashSet } from "../format/id_hash_set.ts";
import type { IdSet } from "../format/id_set.ts";
import type { SnapshotRecord, TreeEntry } from "../format/snapshot_model.ts";
import { readManifest } from "./manifest_reader.ts";
import { RemoteChunkSource } from "../client/remote_chunk_source.ts";
import { chooseSubset, type DataSubset } from "./data_subset.ts";
import { readChunks } from "./read_data.ts";

/** Paths of affected files kept per snapshot (the count is always complete). */
const MAX_FILES_NAMED = 20;

/** What the check found for one snapshot. */
export type SnapshotCheck =
  | { id: string; status: "ok"; record: SnapshotRecord; chunks: number }
  | {
    id: string;
    status: "damaged";
    record: SnapshotRecord;
    chunks: number;
    /** Chunks it names that the server does not hold (0 when its manifest cannot be read). */
    missingChunks: number;
    /** Chunks it names that were read and did not verify (only with `readData`). */
    damagedChunks: number;
    /** Files with a missing or damaged chunk: how many, and the first of their paths. */
    filesAffected: number;
    files: string[];
    /** Why the manifest cannot be read, if it cannot. */
    reason?: string;
  }
  | { id: string; status: "unreadable"; reason: string };

/** What reading the data found. */
export interface DataCheck {
  /** Distinct chunks the snapshots' files reference. */
  chunksReferenced: number;
  /** Of them, the chunks read (all, or the chosen subset). */
  chunksRead: number;
  /** Sealed bytes downloaded for them. */
  bytesRead: number;
  /** Chunks read that were missing or did not verify. */
  chunksDamaged: number;
  /** Of those, how many the server set aside when told (none for an append-only account). */
  chunksSetAside: number;
}

/** The whole check. */
export interface CheckReport {
  snapshots: SnapshotCheck[];
  /** Chunks the server itself knows are missing or damaged. */
  damagedChunks: number;
  /** Snapshots that are not ok, plus one when the server reports damage. */
  problems: number;
  /** Files of the snapshots checked, as their records count them. */
  files: number;
  /** Present when data was read. */
  data?: DataCheck;
}

/** Options of `checkRepository`. */
export interface CheckOptions {
  /** Download and verify the chunks the snapshots' files reference, or this part of them. */
  readData?: DataSubset | undefined;
  /** Threads that open fetched blobs while reading data. */
  openWorkers?: number;
  /** Called for each snapshot once its result is final. */
  onSnapshot?: ((check: SnapshotCheck) => void) | undefined;
}

/** What is wrong with one chunk id, or null. */
type ChunkProblem = (id: Uint8Array) => "missing" | "damaged" | null;

/** Checks every snapshot of `listing` (see the module comment). */
export async function checkRepository(
  client: BurrowClient,
  repository: RemoteRepository,
  listing: SnapshotListing,
  options: CheckOptions = {},
): Promise<CheckReport> {
  const { readData, onSnapshot } = options;
  const stored = await client.listChunkIds();
  const source = new RemoteChunkSource(client, repository.keys);
  const snapshots: SnapshotCheck[] = listing.unreadable.map(({ id, reason }) => ({
    id,
    status: "unreadable",
    reason,
  }));
  const missing: ChunkProblem = (id) => stored.has(id) ? null : "missing";
  const wants = readData === undefined ? undefined : new Wants();
  for (const record of listing.records) {
    const entries = await readEntries(source, record);
    if (typeof entries !== "string") wants?.addAll(entries);
    snapshots.push(judge(record, entries, missing));
  }
  let data: DataCheck | undefined;
  if (wants !== undefined) {
    const chosen = chooseSubset(wants.list, readData!);
    const read = await readChunks(client, repository, chosen, options.openWorkers ?? 1);
    data = {
      chunksReferenced: wants.list.length,
      chunksRead: chosen.length,
      bytesRead: read.bytesRead,
      chunksDamaged: read.damaged.size,
      chunksSetAside: read.setAside,
    };
    if (read.damaged.size > 0) await rejudge(source, listing, snapshots, stored, read.damaged);
  }
  for (const check of snapshots) onSnapshot?.(check);
  const damagedChunks = listing.damagedChunks;
  const broken = snapshots.filter((s) => s.status !== "ok").length;
  const files = listing.records.reduce((sum, record) => sum + record.summary.files, 0);
  return {
    snapshots,
    damagedChunks,
    problems: broken + (damagedChunks > 0 ? 1 : 0),
    files,
    ...(data === undefined ? {} : { data }),
  };
}

/** The distinct chunks files reference, in first-use order, each with a plaintext size guess. */
class Wants {
  readonly list: ChunkWant[] = [];
  readonly #seen = new IdHashSet();

  addAll(entries: readonly TreeEntry[]): void {
    for (const entry of entries) {
      const plainSize = entry.chunks.length === 0 ? 0 : entry.size / entry.chunks.length;
      for (const id of entry.chunks) if (this.#seen.add(id)) this.list.push({ id, plainSize });
    }
  }
}

/** Judges again, with the chunks that did not verify, every snapshot whose manifest read. */
async function rejudge(
  source: RemoteChunkSource,
  listing: SnapshotListing,
  snapshots: SnapshotCheck[],
  stored: IdSet,
  damaged: IdHashSet,
): Promise<void> {
  const problem: ChunkProblem = (id) =>
    !stored.has(id) ? "missing" : damaged.has(id) ? "damaged" : null;
  const positions = new Map(snapshots.map((check, at) => [check.id, at]));
  for (const record of listing.records) {
    const at = positions.get(record.id)!;
    const before = snapshots[at]!;
    if (before.status === "damaged" && before.reason !== undefined) continue;
    snapshots[at] = judge(record, await readEntries(source, record), problem);
  }
}

/** A snapshot's verified entries, or why its manifest cannot be read. */
async function readEntries(
  source: RemoteChunkSource,
  record: SnapshotRecord,
): Promise<TreeEntry[] | string> {
  try {
    return await readManifest(source, record);
  } catch (error) {
    if (!(error instanceof IntegrityError)) throw error;
    return errorMessage(error);
  }
}

/** The result for `record` given its entries (or why they cannot be read) and chunk problems. */
function judge(
  record: SnapshotRecord,
  entries: readonly TreeEntry[] | string,
  problemOf: ChunkProblem,
): SnapshotCheck {
  const { id } = record;
  const base = { id, status: "damaged" as const, record };
  if (typeof entries === "string") {
    const reason = entries;
    const chunks = record.manifest.length;
    return {
      ...base,
      chunks,
      missingChunks: 0,
      damagedChunks: 0,
      filesAffected: 0,
      files: [],
      reason,
    };
  }
  let chunks = record.manifest.length;
  let missingChunks = 0;
  let damagedChunks = 0;
  let filesAffected = 0;
  const files: string[] = [];
  for (const entry of entries) {
    const own = entry.type !== "hardlink"; // a hard link's chunks are its file's, counted there
    if (own) chunks += entry.chunks.length;
    let affected = false;
    for (const chunk of entry.chunks) {
      const problem = problemOf(chunk);
      if (problem === null) continue;
      affected = true;
      if (!own) break;
      if (problem === "missing") missingChunks++;
      else damagedChunks++;
    }
    if (affected && ++filesAffected <= MAX_FILES_NAMED) files.push(entry.path);
  }
  if (filesAffected === 0) return { id, status: "ok", record, chunks };
  return { ...base, chunks, missingChunks, damagedChunks, filesAffected, files };
}
