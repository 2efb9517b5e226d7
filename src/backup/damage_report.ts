/**
 * Telling the server of blobs that did not open under the user's key, so that it sets them aside
 * and the next push stores them again (docs/REPOSITORY.md, "Quarantine"). An append-only
 * account's server notes nothing; the call still succeeds.
 *
 * @module
 */
import type { BurrowClient } from "../client/burrow_client.ts";
import type { RemoteChunkSource } from "../client/remote_chunk_source.ts";

/** Reports (once) the blobs `sources` found damaged; resolves to how many the server set aside. */
export async function reportDamaged(
  client: BurrowClient,
  sources: readonly RemoteChunkSource[],
): Promise<number> {
  const ids = [...new Set(sources)].flatMap((source) => source.damagedIds.splice(0));
  return ids.length === 0 ? 0 : await client.reportDamaged(ids);
}
