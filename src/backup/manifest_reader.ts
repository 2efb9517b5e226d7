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

/** Every entry of a snapshot's manifest, verified, in manifest order. */
export async function readManifest(
  source: ChunkSource,
  record: SnapshotRecord,
): Promise<TreeEntry[]> {
  const decoder = new ManifestDecoder();
  const entries: TreeEntry[] = [];
  try {
    for await (
      const chunk of source.fetch(record.manifest.map((hex) => ({ id: Uint8Array.fromHex(hex) })))
    ) {
      if (!(chunk instanceof Uint8Array)) throw chunk;
      for (const entry of decoder.push(chunk)) entries.push(entry);
    }
    decoder.finish();
  } catch (error) {
    if (!(error instanceof IntegrityError)) throw error;
    const reason = error instanceof MissingChunkError
      ? "it is missing or damaged on the server; run burrow check"
      : errorMessage(error);
    throw new IntegrityError(`Cannot read the file list of snapshot ${record.id}: ${reason}`, {
      cause: error,
    });
  }
  return entries;
}
