/**
 * A pull: read the snapshot's manifest (verified chunk by chunk), then restore its tree into a
 * folder, or write it as a zip or tar archive, fetching file chunks pipelined and verifying
 * each before a byte of it is written. Into a folder, a file whose data is missing or damaged
 * is left out and reported while every other file is restored; an archive is written whole or
 * not at all. What is at the destination already is replaced only as `overwrite` says, and a
 * dry run decides everything without fetching a file's data or writing anything.
 *
 * @module
 */
import type { BurrowClient } from "../client/burrow_client.ts";
import type { RemoteRepository } from "../client/remote_repository.ts";
import { validateEntryPath } from "../format/manifest_codec.ts";
import type { SnapshotRecord, TreeEntry } from "../format/snapshot_model.ts";
import type { StageTimer } from "../stage_timer.ts";
import type { TreeProgress } from "../restore/tree_reader.ts";
import { archiveDestAction, exportTar, exportZip } from "../export/archive_export.ts";
import { reportDamaged } from "./damage_report.ts";
import { readManifest, readManifestPaths } from "./manifest_reader.ts";
import { RemoteChunkSource } from "../client/remote_chunk_source.ts";
import {
  emptyRestoreResult,
  type OverwriteMode,
  type PlanEvent,
  type RestoreResult,
  restoreToFolder,
} from "../restore/restorer.ts";

/**
 * Threads that open and verify fetched blobs while this one reads replies and feeds the writers.
 * A second one was ~6% faster to tmpfs but costs ~15 MiB, and on disk it was slower (median of
 * 4: 9.72 against 8.71 s), the two competing with the file writers (`RestorePool`) for the CPU.
 */
const OPEN_WORKERS = 1;

/** A pull opens blobs on this thread up to this many bytes: a worker costs more to start. */
const WORKERS_FROM_BYTES = 32 * 1024 * 1024;

/**
 * Files a restore writes with one file-writer thread: a second costs more to start. Up to this
 * many files of at most `WORKERS_FROM_BYTES` in all are written on this thread: a writer thread
 * costs more to start than they take.
 */
const FEW_FILES = 64;

/** Where a pull writes: a folder, or an archive chosen by DEST's ending. */
export type PullFormat = "folder" | "zip" | "tar";

export { OVERWRITE_MODES } from "../restore/restorer.ts";

/** The format DEST asks for: `.zip` and `.tar` endings make archives. */
export function pullFormat(dest: string): PullFormat {
  const lower = dest.toLowerCase();
  return lower.endsWith(".zip") ? "zip" : lower.endsWith(".tar") ? "tar" : "folder";
}

/**
 * What a pull restored (or, in a dry run, would restore), what it did with what was there, where,
 * and what crossed the network.
 */
export type PullResult = RestoreResult & {
  /** The restored folder or file (DEST/NAME), or the archive written. */
  path: string;
  bytesReceived: number;
  /**
   * Chunks the server sent that did not open under the key, which it was told of and set aside:
   * the next push of the files they belong to stores them again.
   */
  chunksSetAside: number;
};

/**
 * The name a folder snapshot is restored under: the base name of the folder that was pushed
 * (the set name for a root folder), so `pull DEST` of a push of `~/Documents` gives
 * `DEST/Documents`, as a file snapshot gives `DEST/NAME` and as a tar or zip holds its folder.
 */
export function topFolderName(record: SnapshotRecord): string {
  const base = record.source.replace(/\/+$/, "").split("/").at(-1) ?? "";
  const name = base === "" || base === "." || base === ".." ? record.set : base;
  validateEntryPath(name);
  return name;
}

/**
 * A folder snapshot's entries under its top folder, which gets the pushed folder's mode, mtime
 * and owner; hard links name their targets under it too. Made one at a time, so the tree is not
 * held twice.
 */
function* underTopFolder(
  record: SnapshotRecord,
  entries: readonly TreeEntry[],
): Generator<TreeEntry> {
  const top = topFolderName(record);
  yield {
    path: top,
    type: "dir",
    mode: record.rootMode,
    mtimeNs: record.rootMtimeNs,
    size: 0,
    inode: 0,
    chunks: [],
    target: "",
    ...(record.rootOwner === undefined ? {} : { owner: record.rootOwner }),
  };
  for (const entry of entries) {
    const target = entry.type === "hardlink" ? `${top}/${entry.target}` : entry.target;
    yield { ...entry, path: `${top}/${entry.path}`, target };
  }
}

/** What to pull and where, and where progress goes (the same style as `PushOptions`). */
export interface PullOptions extends TreeProgress {
  client: BurrowClient;
  repository: RemoteRepository;
  /** The snapshot to restore. */
  record: SnapshotRecord;
  /** A folder, or an archive path ending in .zip or .tar (see `pullFormat`). */
  dest: string;
  /**
   * Restore setuid and setgid bits into a folder (default: dropped, as tar does without -p).
   * Archives always record the snapshot's modes; their extractors apply their own policy.
   */
  preserveSpecialBits?: boolean;
  /** Laps each stage when given (`--debug-timings`). */
  timer?: StageTimer;
  /**
   * What to do with what is at the destination (see `OverwriteMode`); undefined: refuse a
   * DEST/NAME that is there (unless an empty folder) and an existing archive. An archive is
   * replaced only with "always".
   */
  overwrite?: OverwriteMode | undefined;
  /** Into a folder: remove what DEST/NAME holds that the snapshot does not. */
  delete?: boolean | undefined;
  /** Report every decision to `onPlan`; fetch no file data and write nothing. */
  dryRun?: boolean | undefined;
  /** Called for each create, overwrite, skip and delete (an archive: DEST itself). */
  onPlan?(event: PlanEvent): void;
  /**
   * Restore only these paths (relative to the snapshot root, as `snapshotPath` gives them):
   * each one's entry, a folder's whole subtree, and the folders leading to them. Only their
   * chunks are fetched. Undefined or empty: the whole snapshot.
   */
  paths?: readonly string[] | undefined;
  /** Called once the files to restore are known, with their count and bytes. */
  onSelected?(selected: { files: number; bytes: number }): void;
  /**
   * As root, into a folder: give owners by their recorded numbers, never by name; into a tar:
   * record owners without names.
   */
  numericIds?: boolean | undefined;
  /** Called once with something the user should know that is not a warning. */
  onNotice?(message: string): void;
}

/**
 * Restores a snapshot. A file whose data is missing or damaged is counted in `filesDamaged` and
 * reported to `onDamaged`, and the pull goes on (into a folder).
 *
 * @throws {BurrowError} CONFLICT when the destination is taken (see `overwrite`) or is a file
 * @throws {NotFoundError} when one of `paths` is not in the snapshot (before anything is written)
 * @throws {IntegrityError} when the file list does not verify, or an archive meets a damaged file
 */
export async function pullSnapshot(options: PullOptions): Promise<PullResult> {
  const { client, repository, record, dest, timer } = options;
  const format = pullFormat(dest);
  const archive = format === "folder" ? undefined : archiveDestAction(dest, options.overwrite);
  const counted = (result: RestoreResult) =>
    archive === undefined
      ? result
      : { ...result, [archive === "create" ? "created" : "overwritten"]: 1 };
  if (archive !== undefined && options.dryRun) {
    options.onPlan?.({ action: archive, path: dest, type: "file" });
    return { ...counted(emptyRestoreResult()), path: dest, bytesReceived: 0, chunksSetAside: 0 };
  }
  const manifestSource = new RemoteChunkSource(client, repository.keys);
  const withWorkers = () =>
    new RemoteChunkSource(client, repository.keys, { openWorkers: OPEN_WORKERS });
  // A whole pull of more than a few MiB starts the open workers (a new isolate, zstd's
  // WebAssembly) while this thread reads the manifest: a few chunks, not worth a trip to a worker.
  // A partial pull decides once it knows how much it restores; a dry run fetches no file data.
  const partial = (options.paths?.length ?? 0) > 0;
  const small = record.summary.bytes <= WORKERS_FROM_BYTES;
  let source = options.dryRun || partial || small ? manifestSource : withWorkers();
  try {
    const manifest = partial
      ? await readManifestPaths(manifestSource, record, options.paths!)
      : await readManifest(manifestSource, record);
    timer?.lap("read manifest");
    const selected = fileTotals(manifest);
    options.onSelected?.(selected);
    if (partial && !options.dryRun && selected.bytes > WORKERS_FROM_BYTES) source = withWorkers();
    const entries = record.rootType === "dir" ? underTopFolder(record, manifest) : manifest;
    const top = record.rootType === "dir" ? topFolderName(record) : manifest[0]?.path ?? "";
    const result = format === "zip"
      ? { ...emptyRestoreResult(), ...await exportZip(entries, source, dest, options) }
      : format === "tar"
      ? { ...emptyRestoreResult(), ...await exportTar(entries, source, dest, options) }
      : await restoreToFolder(entries, source, dest, {
        ...options,
        ...(selected.files > FEW_FILES
          ? {}
          : { fileWriters: selected.bytes > WORKERS_FROM_BYTES ? 1 : 0 }),
      });
    timer?.lap(`write ${format}`);
    const path = format === "folder" && top !== "" ? `${dest.replace(/\/+$/, "")}/${top}` : dest;
    const bytesReceived = manifestSource.bytesReceived +
      (source === manifestSource ? 0 : source.bytesReceived);
    const chunksSetAside = await reportDamaged(client, [manifestSource, source]);
    return { ...counted(result), path, bytesReceived, chunksSetAside };
  } catch (error) {
    await reportDamaged(client, [manifestSource, source]).catch(() => 0);
    throw error;
  } finally {
    source.close();
  }
}

/** The files among `entries` and their bytes. */
function fileTotals(entries: readonly TreeEntry[]): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const entry of entries) {
    if (entry.type !== "file") continue;
    files++;
    bytes += entry.size;
  }
  return { files, bytes };
}
