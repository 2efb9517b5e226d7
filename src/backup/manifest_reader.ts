/**
 * Reading a snapshot's manifest back through a `ChunkSource`, which verifies every chunk. Kept
 * apart from writing it, so that the web page reads manifests without the push path's
 * compressor.
 *
 * @module
 */
import { errorMessage, IntegrityError } from "../errors.ts";
import { ManifestDecoder } from "../format/manifest_codec.ts";
import type { SnapshotRecord, TreeEntry } from "../format/snapshot_model.ts";
import { type ChunkSource, MissingChunkError } from "../client/chunk_source.ts";
import { selectedPathBytes, selectPaths } from "../browse/tree_paths.ts";

/** Every entry of a snapshot's manifest, verified, in manifest order. */
export function readManifest(source: ChunkSource, record: SnapshotRecord): Promise<TreeEntry[]> {
  return explained(record, async () => {
    const decoder = new ManifestDecoder();
    const entries: TreeEntry[] = [];
    for await (const piece of manifestPieces(source, record)) {
      for (const entry of decoder.push(piece)) entries.push(entry);
    }
    decoder.finish();
    return entries;
  });
}

/**
 * The entries of a snapshot's manifest that a restore of `paths` needs (`selectPaths`),
 * verified, in manifest order. Only those entries are made: the others are skipped as they are
 * decoded. Should a hard link among them name a file outside them, the whole manifest is decoded
 * again (from the pieces already fetched), so the link's entry gets its file's chunks.
 *
 * @throws {NotFoundError} naming the first path the snapshot does not hold
 */
export function readManifestPaths(
  source: ChunkSource,
  record: SnapshotRecord,
  paths: readonly string[],
): Promise<TreeEntry[]> {
  if (paths.includes("")) return readManifest(source, record);
  return explained(record, async () => {
    const pieces: Uint8Array[] = [];
    for await (const piece of manifestPieces(source, record)) pieces.push(piece);
    let entries: TreeEntry[];
    try {
      entries = decodeAll(new ManifestDecoder({ keepPath: selectedPathBytes(paths) }), pieces);
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      entries = decodeAll(new ManifestDecoder(), pieces);
    }
    return selectPaths(entries, paths);
  });
}

/** The manifest's verified pieces in order. @throws {IntegrityError} for one that has none */
async function* manifestPieces(
  source: ChunkSource,
  record: SnapshotRecord,
): AsyncGenerator<Uint8Array> {
  const wants = record.manifest.map((hex) => ({ id: Uint8Array.fromHex(hex) }));
  for await (const piece of source.fetch(wants)) {
    if (!(piece instanceof Uint8Array)) throw piece;
    yield piece;
  }
}

/** What `decoder` makes of every piece, checked to the end record. */
function decodeAll(decoder: ManifestDecoder, pieces: readonly Uint8Array[]): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const piece of pieces) for (const entry of decoder.push(piece)) entries.push(entry);
  decoder.finish();
  return entries;
}

/** Runs `read`, giving an IntegrityError it throws the snapshot's id and what to do. */
async function explained<T>(record: SnapshotRecord, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof IntegrityError)) throw error;
    const reason = error instanceof MissingChunkError
      ? "it is missing or damaged on the server; run burrow check"
      : errorMessage(error);
    throw new IntegrityError(`Cannot read the file list of snapshot ${record.id}: ${reason}`, {
      cause: error,
    });
  }
}
