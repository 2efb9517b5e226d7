/**
 * Checking a repository's structure from the client, the only side that can read it: every
 * snapshot record opens, every manifest reads (its chunks fetched and verified), and every chunk
 * a manifest names is among the chunks the server holds. Data chunks are not downloaded.
 *
 * @module
 */
import type { BurrowClient } from "../client/burrow_client.ts";
import type { RemoteRepository, SnapshotListing } from "../client/remote_repository.ts";
import { errorMessage, IntegrityError } from "../errors.ts";
import type { IdSet } from "../format/id_set.ts";
import type { SnapshotRecord } from "../format/snapshot_model.ts";
import { readManifest } from "./manifest_reader.ts";
import { RemoteChunkSource } from "../client/remote_chunk_source.ts";

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
    /** Files with a missing chunk: how many, and the first of their paths. */
    filesAffected: number;
    files: string[];
    /** Why the manifest cannot be read, if it cannot. */
    reason?: string;
  }
  | { id: string; status: "unreadable"; reason: string };

/** The whole check. */
export interface CheckReport {
  snapshots: SnapshotCheck[];
  /** Chunks the server itself knows are missing or damaged. */
  damagedChunks: number;
  /** Snapshots that are not ok, plus one when the server reports damage. */
  problems: number;
}

/** Checks every snapshot of `listing`, calling `onSnapshot` as each is done. */
export async function checkRepository(
  client: BurrowClient,
  repository: RemoteRepository,
  listing: SnapshotListing,
  onSnapshot?: (check: SnapshotCheck) => void,
): Promise<CheckReport> {
  const stored = await client.listChunkIds();
  const snapshots: SnapshotCheck[] = [];
  const done = (check: SnapshotCheck) => {
    snapshots.push(check);
    onSnapshot?.(check);
  };
  for (const { id, reason } of listing.unreadable) done({ id, status: "unreadable", reason });
  for (const record of listing.records) {
    done(await checkSnapshot(client, repository, record, stored));
  }
  const damagedChunks = listing.damagedChunks;
  const broken = snapshots.filter((s) => s.status !== "ok").length;
  return { snapshots, damagedChunks, problems: broken + (damagedChunks > 0 ? 1 : 0) };
}

async function checkSnapshot(
  client: BurrowClient,
  repository: RemoteRepository,
  record: SnapshotRecord,
  stored: IdSet,
): Promise<SnapshotCheck> {
  const { id } = record;
  let entries;
  try {
    entries = await readManifest(new RemoteChunkSource(client, repository.keys), record);
  } catch (error) {
    if (!(error instanceof IntegrityError)) throw error;
    const base = { id, status: "damaged" as const, record, chunks: record.manifest.length };
    return { ...base, missingChunks: 0, filesAffected: 0, files: [], reason: errorMessage(error) };
  }
  let chunks = record.manifest.length;
  let missingChunks = 0;
  let filesAffected = 0;
  const files: string[] = [];
  for (const entry of entries) {
    chunks += entry.chunks.length;
    const missing = entry.chunks.filter((chunk) => !stored.has(chunk)).length;
    if (missing === 0) continue;
    missingChunks += missing;
    if (++filesAffected <= MAX_FILES_NAMED) files.push(entry.path);
  }
  if (missingChunks === 0) return { id, status: "ok", record, chunks };
  return { id, status: "damaged", record, chunks, missingChunks, filesAffected, files };
}
