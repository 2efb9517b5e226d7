/**
 * A push, end to end: pick the parent snapshot of the set, learn which chunks the server has,
 * archive the source (unchanged files reuse the parent's chunks without being read), upload
 * the new blobs pipelined, upload the manifest, wait until every blob is acknowledged, and
 * commit the sealed snapshot record; the server makes the chunks durable before it stores the
 * record. An interrupted push commits nothing, and the next one sends only what is missing.
 *
 * @module
 */
import type { BurrowClient } from "../client/burrow_client.ts";
import type { RemoteRepository, SnapshotListing } from "../client/remote_repository.ts";
import { errorMessage, IntegrityError } from "../errors.ts";
import { type EntryStatus, statFollowing } from "../fs_times.ts";
import { toHex } from "../format/chunk_id.ts";
import type { EntryOwner, SnapshotRecord } from "../format/snapshot_model.ts";
import { systemOwnerNames } from "../owner_names.ts";
import type { StageTimer } from "../stage_timer.ts";
import {
  archive,
  type ArchiveProgress,
  type ArchiveResult,
  type SealedBlob,
} from "../archive/archiver.ts";
import type { Selection } from "../archive/selection.ts";
import { ChunkUploader } from "../client/chunk_uploader.ts";
import { sameEntries, writeManifest } from "./manifest_io.ts";
import { readManifest } from "./manifest_reader.ts";
import { RemoteChunkSource } from "../client/remote_chunk_source.ts";

/** What to push, and where progress goes. */
export interface PushOptions {
  client: BurrowClient;
  repository: RemoteRepository;
  /** Absolute path of the file or folder (with `stream`: what to read, such as `/dev/stdin`). */
  source: string;
  /** Back up the stream read from `source` as one file of this name (`push --stdin`). */
  streamName?: string;
  set: string;
  host: string;
  onProgress?(progress: ArchiveProgress): void;
  /** Hears of a file left out (its path) or of a parent snapshot that cannot be read. */
  onWarning?(path: string, reason: string): void;
  now?: () => Date;
  /** Laps each stage when given (`--debug-timings`). */
  timer?: StageTimer;
  /** Hears what listing the snapshots found (records that do not open, chunks the server lost). */
  onListing?(listing: SnapshotListing): void;
  /** What to take from the tree (default: everything). */
  selection?: Selection;
  /**
   * Reads, chunks and seals as a push would, but sends no blob and commits nothing: the record
   * returned says what would have been sent (without the manifest).
   */
  dryRun?: boolean;
}

/** The newest of `snapshots` that `keep` accepts, or null. */
function newest(
  snapshots: readonly SnapshotRecord[],
  keep: (s: SnapshotRecord) => boolean,
): SnapshotRecord | null {
  let latest: SnapshotRecord | null = null;
  for (const s of snapshots) if (keep(s) && (latest === null || s.time >= latest.time)) latest = s;
  return latest;
}

/**
 * The parent of a push of `source` from `host` into `set`: the newest snapshot of the set taken
 * of the same path on the same host (as restic picks it), so two folders that share a name do
 * not pass for each other. `elsewhere` is the set's newest snapshot when it was taken of another
 * path or host (worth a warning), else null.
 */
export function chooseParent(
  snapshots: readonly SnapshotRecord[],
  set: string,
  host: string,
  source: string,
): { parent: SnapshotRecord | null; elsewhere: SnapshotRecord | null } {
  const parent = newest(snapshots, (s) => s.set === set && s.host === host && s.source === source);
  const latest = newest(snapshots, (s) => s.set === set);
  const elsewhere = latest !== null && (latest.host !== host || latest.source !== source)
    ? latest
    : null;
  return { parent, elsewhere };
}

/** Runs a push and returns the committed snapshot's record. */
export async function pushSnapshot(options: PushOptions): Promise<SnapshotRecord> {
  const { client, repository, timer } = options;
  const started = (options.now ?? (() => new Date()))();
  const root = options.streamName === undefined ? statFollowing(options.source) : null;
  const recorded = options.streamName === undefined
    ? options.source
    : streamSource(options.streamName);
  const listing = await repository.listSnapshots();
  options.onListing?.(listing);
  const { parent, elsewhere } = chooseParent(listing.records, options.set, options.host, recorded);
  if (elsewhere !== null) {
    options.onWarning?.(
      `set "${options.set}"`,
      `its last snapshot is of ${elsewhere.source} on ${elsewhere.host}; this push of ${recorded} on ${options.host} joins the set (give --name to keep them apart)`,
    );
  }
  timer?.lap("list snapshots");
  // Both requests go out at once: the archiver walks the tree while the parent's entries load,
  // and reads, chunks and seals while the ids load (it uploads nothing before they are in).
  const parentEntries = parent === null
    ? Promise.resolve(null)
    : readManifest(new RemoteChunkSource(client, repository.keys), parent).catch((error) => {
      // Without the parent's file list every file is read again: slower, never wrong.
      if (!(error instanceof IntegrityError)) throw error;
      options.onWarning?.(`snapshot ${parent.id}`, `${errorMessage(error)}; reading every file`);
      return null;
    });
  const knownIds = client.listChunkIds();
  // Awaited below; these only keep a failure from going unhandled if the walk fails first.
  parentEntries.catch(() => {});
  knownIds.catch(() => {});
  const uploader = new ChunkUploader(client);
  let wouldSend = 0;
  const upload = options.dryRun === true
    ? (blobs: SealedBlob[]) => {
      for (const { blob } of blobs) wouldSend += blob.length;
      return Promise.resolve();
    }
    : (blobs: SealedBlob[]) => uploader.send(blobs);
  const archived = await archive({
    source: options.source,
    keys: repository.keys,
    knownIds,
    previous: parentEntries.then((list) =>
      list === null ? null : new Map(list.map((e) => [e.path, e]))
    ),
    upload,
    maxInFlightBytes: 32 * 1024 * 1024,
    ...(options.selection === undefined ? {} : { selection: options.selection }),
    ...(options.streamName === undefined
      ? {}
      : { stream: { name: options.streamName, time: started } }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
  });
  timer?.lap("load parent, walk and archive");
  if (options.dryRun === true) {
    return {
      ...recordOf(options, started, root, archived, parent, []),
      summary: { ...archived.summary, bytesSent: wouldSend, bytesStored: wouldSend },
    };
  }
  // Nothing changed: the parent's manifest chunks already hold exactly these entries.
  const previousEntries = await parentEntries;
  const stored = await knownIds;
  const manifest = parent !== null && previousEntries !== null &&
      sameEntries(archived.entries, previousEntries) &&
      parent.manifest.every((hex) => stored.has(Uint8Array.fromHex(hex)))
    ? parent.manifest
    : await writeManifest(archived.entries, repository.keys, (id) => stored.has(id), uploader);
  timer?.lap("write manifest");
  await uploader.finish();
  timer?.lap("wait for acks");
  const record: SnapshotRecord = {
    ...recordOf(options, started, root, archived, parent, manifest),
    summary: {
      ...archived.summary,
      bytesSent: uploader.bytesSent,
      bytesStored: uploader.bytesStored,
    },
  };
  const { filesNew, filesChanged, filesRemoved } = record.summary;
  await client.commitSnapshot(record.id, repository.seal(record), {
    filesNew,
    filesChanged,
    filesRemoved,
  });
  timer?.lap("commit");
  return record;
}

/** The record of a push of `archived`, its summary's byte counts left for the caller. */
function recordOf(
  options: PushOptions,
  started: Date,
  root: EntryStatus | null,
  archived: ArchiveResult,
  parent: SnapshotRecord | null,
  manifest: string[],
): SnapshotRecord {
  return {
    version: 2,
    id: newSnapshotId(),
    set: options.set,
    time: started.toISOString(),
    host: options.host,
    source: options.streamName === undefined ? options.source : streamSource(options.streamName),
    rootType: archived.rootType,
    rootMode: archived.rootType === "dir" ? root?.mode ?? 0 : 0,
    rootMtimeNs: archived.rootType === "dir" ? root?.mtimeNs ?? 0n : 0n,
    ...(archived.rootType === "dir" && root !== null ? { rootOwner: ownerOf(root) } : {}),
    parent: parent?.id ?? null,
    manifest,
    summary: archived.summary,
  };
}

/** The owner of `status`, with the names this machine gives its uid and gid. */
function ownerOf(status: EntryStatus): EntryOwner {
  return {
    uid: status.uid,
    gid: status.gid,
    user: systemOwnerNames.userName(status.uid),
    group: systemOwnerNames.groupName(status.gid),
  };
}

/** The path a snapshot of standard input records: the file name it was given. */
export function streamSource(name: string): string {
  return `stdin:${name}`;
}

function newSnapshotId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(8)));
}
