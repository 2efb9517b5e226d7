/**
 * The live chunk ids of a repository: every chunk a remaining snapshot names, its manifest's
 * chunks and its files' chunks, as one sorted set (what a prune sends). Only the client can
 * compute it: the server cannot read manifests.
 *
 * Invariant: a snapshot that cannot be read (its record does not open, or its file list does not
 * read) makes the computation fail rather than leave that snapshot's chunks out; a prune that
 * went on would delete the data of a snapshot that still exists.
 *
 * @module
 */
import type { BurrowClient } from "../client/burrow_client.ts";
import { RemoteChunkSource } from "../client/remote_chunk_source.ts";
import type { RemoteRepository, SnapshotListing } from "../client/remote_repository.ts";
import { errorMessage, IntegrityError } from "../errors.ts";
import { IdSet } from "../format/id_set.ts";
import { readManifest } from "./manifest_reader.ts";

/**
 * Every chunk id the snapshots of `listing` name.
 * @throws {IntegrityError} when a snapshot is unreadable or its file list cannot be read
 */
export async function liveChunks(
  client: BurrowClient,
  repository: RemoteRepository,
  listing: SnapshotListing,
): Promise<IdSet> {
  const unreadable = listing.unreadable[0];
  if (unreadable !== undefined) {
    throw new IntegrityError(
      `Cannot prune: snapshot ${unreadable.id} cannot be read (${unreadable.reason}); forget it by id first, or run burrow check`,
    );
  }
  const ids: Uint8Array[] = [];
  const source = new RemoteChunkSource(client, repository.keys);
  for (const record of listing.records) {
    for (const hex of record.manifest) ids.push(Uint8Array.fromHex(hex));
    let entries;
    try {
      entries = await readManifest(source, record);
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      throw new IntegrityError(`Cannot prune: ${errorMessage(error)}`, { cause: error });
    }
    for (const entry of entries) ids.push(...entry.chunks);
  }
  return IdSet.from(ids);
}
