/**
 * A snapshot's manifest on the server: written as content-defined chunks of its encoding (so an
 * unchanged part of a large tree deduplicates against the previous snapshot's manifest), sealed
 * like file data (reading it back is `manifest_reader.ts`).
 *
 * @module
 */
import { BlobSealer, ChunkIdHasher } from "../format/blob_crypto.ts";
import { toHex } from "../format/chunk_id.ts";
import { chunkBoundaries } from "../format/chunker.ts";
import { compressChunk, releaseCompressed } from "../format/compression.ts";
import { ManifestEncoder } from "../format/manifest_codec.ts";
import type { RepositoryKeys } from "../format/master_key.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import type { ChunkUploader } from "../client/chunk_uploader.ts";

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
  for (const length of chunkBoundaries(bytes, keys.gear)) {
    const plain = bytes.subarray(at, at + length);
    at += length;
    const id = hasher.id(plain);
    ids.push(toHex(id));
    if (known(id) || uploader.hasSent(id)) continue;
    const compressed = compressChunk(plain);
    const blob = sealer.seal(id, compressed.data, compressed.compressed);
    releaseCompressed(compressed); // the blob holds a copy
    await uploader.send([{ id, blob }]);
  }
  return ids;
}

/**
 * Whether two entry lists are the same tree, field by field and in order: then their manifests
 * encode to the same bytes, so a push that changed nothing can reuse its parent's manifest.
 */
export function sameEntries(a: readonly TreeEntry[], b: readonly TreeEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (
      x.path !== y.path || x.type !== y.type || x.mode !== y.mode || x.mtimeNs !== y.mtimeNs ||
      x.size !== y.size || x.inode !== y.inode || x.target !== y.target ||
      !sameIds(x.chunks, y.chunks) || !sameFields(x.owner, y.owner) ||
      !sameFields(x.device, y.device)
    ) return false;
  }
  return true;
}

/** Whether two optional records of numbers and strings are both absent or equal field by field. */
function sameFields<T extends object>(a: T | undefined, b: T | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const keys = Object.keys(a) as (keyof T)[];
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function sameIds(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y && (x.length !== y.length || x.some((byte, j) => byte !== y[j]))) return false;
  }
  return true;
}
