/**
 * Downloading and verifying chunks for `check --read-data`, through the same pipeline as a
 * restore (`RemoteChunkSource`: pipelined requests, blobs opened and verified on open workers),
 * keeping only which chunks failed; each plaintext is freed as soon as it verified.
 *
 * @module
 */
import type { BurrowClient } from "../client/burrow_client.ts";
import type { ChunkWant } from "../client/chunk_source.ts";
import { RemoteChunkSource } from "../client/remote_chunk_source.ts";
import type { RemoteRepository } from "../client/remote_repository.ts";
import { IdHashSet } from "../format/id_hash_set.ts";
import { releaseBytes } from "../release_bytes.ts";
import { reportDamaged } from "./damage_report.ts";

/** What reading found. */
export interface DataRead {
  /** Sealed bytes downloaded. */
  bytesRead: number;
  /** Chunks that were missing or did not verify. */
  damaged: IdHashSet;
  /** How many of them the server set aside when told. */
  setAside: number;
}

/**
 * Fetches and verifies every chunk of `wants` (distinct ids), then reports the blobs that did not
 * open to the server.
 * @throws {NetworkError} and the like when fetching cannot go on
 */
export async function readChunks(
  client: BurrowClient,
  repository: RemoteRepository,
  wants: readonly ChunkWant[],
  openWorkers: number,
): Promise<DataRead> {
  const source = new RemoteChunkSource(client, repository.keys, { openWorkers });
  const damaged = new IdHashSet();
  try {
    let at = 0;
    for await (const item of source.fetch(wants)) {
      const want = wants[at++]!;
      if (item instanceof Uint8Array) releaseBytes(item);
      else damaged.add(want.id);
    }
  } finally {
    source.close();
  }
  const setAside = await reportDamaged(client, [source]);
  return { bytesRead: source.bytesReceived, damaged, setAside };
}
