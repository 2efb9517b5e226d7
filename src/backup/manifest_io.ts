/**
 * A snapshot's manifest on the server: written as content-defined chunks of its encoding (so an
 * unchanged part of a large tree deduplicates against the previous snapshot's manifest), sealed
 * like file data; read back through a `ChunkSource`, which verifies every chunk.
 *
 * @module
 */
import { errorMessage, IntegrityError } from "../errors.ts";
import { BlobSealer, ChunkIdHasher } from "../repo/blob_crypto.ts";
import { toHex } from "../repo/chunk_store.ts";
import { chunkBoundaries } from "../repo/chunker.ts";
import { compressChunk } from "../repo/compression.ts";
import { ManifestDecoder, ManifestEncoder } from "../repo/manifest_codec.ts";
import type { RepositoryKeys } from "../repo/master_key.ts";
import type { SnapshotRecord, TreeEntry } from "../repo/snapshot_model.ts";
import type { ChunkSource } from "./chunk_source.ts";
import type { ChunkUploader } from "./chunk_uploader.ts";

/**
 * Encodes `entries`, uploads the manifest's chunks the server lacks, and returns their ids
 * (hex, in order) for the snapshot record.
 */
export async function writeManifest(
  entries: readonly TreeEntry[],
  keys: RepositoryKeys,
  known: (id: Uint8Array) => boolean,
  uploader: ChunkUploader,
): Promise<string[]> {
  const encoder = new ManifestEncoder();
  for (const entry of entries) encoder.add(entry);
  const bytes = encoder.finish();
  const hasher = new ChunkIdHasher(keys.idKey);
  const sealer = new BlobSealer(keys.dataKey);
  const ids: string[] = [];
  let at = 0;
  for (const length of chunkBoundaries(bytes)) {
    const plain = bytes.subarray(at, at + length);
    at += length;
    const id = hasher.id(plain);
    ids.push(toHex(id));
    if (known(id) || uploader.hasSent(id)) continue;
    const { data, compressed } = compressChunk(plain);
    await uploader.send([{ id, blob: sealer.seal(id, data, compressed) }]);
  }
  return ids;
}

/** Every entry of a snapshot's manifest, verified, in manifest order. */
export async function readManifest(
  source: ChunkSource,
  record: SnapshotRecord,
): Promise<TreeEntry[]> {
  const decoder = new ManifestDecoder();
  const entries: TreeEntry[] = [];
  try {
    for await (const chunk of source.fetch(record.manifest.map((hex) => Uint8Array.fromHex(hex)))) {
      for (const entry of decoder.push(chunk)) entries.push(entry);
    }
    decoder.finish();
  } catch (error) {
    if (!(error instanceof IntegrityError)) throw error;
    throw new IntegrityError(
      `Cannot read the file list of snapshot ${record.id}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  return entries;
}
