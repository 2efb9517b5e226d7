/**
 * A pull: read the snapshot's manifest (verified chunk by chunk), then restore its tree into a
 * folder, or write it as a zip or tar archive, fetching file chunks pipelined and verifying
 * each before a byte of it is written.
 *
 * @module
 */
import type { BurrowClient } from "../client/burrow_client.ts";
import type { RemoteRepository } from "../client/remote_repository.ts";
import type { SnapshotRecord } from "../repo/snapshot_model.ts";
import type { TreeProgress, TreeTotals } from "./_tree_reader.ts";
import { exportTar, exportZip } from "./archive_export.ts";
import { readManifest } from "./manifest_io.ts";
import { RemoteChunkSource } from "./remote_chunk_source.ts";
import { restoreToFolder } from "./restorer.ts";

/** Where a pull writes: a folder, or an archive chosen by DEST's ending. */
export type PullFormat = "folder" | "zip" | "tar";

/** The format DEST asks for: `.zip` and `.tar` endings make archives. */
export function pullFormat(dest: string): PullFormat {
  const lower = dest.toLowerCase();
  return lower.endsWith(".zip") ? "zip" : lower.endsWith(".tar") ? "tar" : "folder";
}

/** What a pull restored, and what crossed the network. */
export interface PullResult extends TreeTotals {
  bytesReceived: number;
}

/** Restores `record` to `dest`. @throws {IntegrityError} naming the file whose data does not verify */
export async function pullSnapshot(
  client: BurrowClient,
  repository: RemoteRepository,
  record: SnapshotRecord,
  dest: string,
  progress: TreeProgress = {},
): Promise<PullResult> {
  const source = new RemoteChunkSource(client, repository.keys);
  const entries = await readManifest(source, record);
  const format = pullFormat(dest);
  const totals = format === "zip"
    ? await exportZip(entries, source, dest, progress)
    : format === "tar"
    ? await exportTar(entries, source, dest, progress)
    : await restoreToFolder(entries, source, dest, progress);
  return { ...totals, bytesReceived: source.bytesReceived };
}
