/**
 * What a repository holds, for the administrator (`burrow users`), without opening its chunk
 * store: DATA/repos/NAME/usage (JSON) records the bytes of sealed chunks stored and the time of
 * the last committed snapshot. The server writes it (atomically) when it opens the repository and
 * when it closes it, if the stored bytes changed meanwhile, and at every commit; an admin command
 * reads it while the server runs. The snapshots are counted from their record files instead, so
 * that count is always current.
 *
 * Invariant: the file is bookkeeping only: nothing the server decides (a quota included, which
 * reads the open store's live figure) depends on it, and a missing or unreadable one reads as
 * unknown.
 *
 * @module
 */
import { writeFileAtomic } from "../atomic_file.ts";

/** The file in a repository folder that records its usage. */
export const USAGE_FILE = "usage";

/** A repository's usage as last recorded by the server. */
export interface RepositoryUsage {
  /** Bytes of sealed chunks stored (`ChunkStore.storedBytes`). */
  storedBytes: number;
  /** When the last snapshot was committed, ISO 8601 UTC, or null when none was since recording. */
  lastPush: string | null;
}

/** The usage recorded in the repository folder `dir`, or null when there is none (or it is unreadable). */
export async function readUsage(dir: string): Promise<RepositoryUsage | null> {
  let value: unknown;
  try {
    value = JSON.parse(await Deno.readTextFile(`${dir}/${USAGE_FILE}`));
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { storedBytes, lastPush } = value as Record<string, unknown>;
  if (typeof storedBytes !== "number" || !Number.isSafeInteger(storedBytes) || storedBytes < 0) {
    return null;
  }
  if (lastPush !== null && (typeof lastPush !== "string" || Number.isNaN(Date.parse(lastPush)))) {
    return null;
  }
  return { storedBytes, lastPush };
}

/** Records `usage` in the repository folder `dir`, atomically. */
export async function writeUsage(dir: string, usage: RepositoryUsage): Promise<void> {
  const text = JSON.stringify({ storedBytes: usage.storedBytes, lastPush: usage.lastPush });
  await writeFileAtomic(`${dir}/${USAGE_FILE}`, `${text}\n`);
}

/** How many snapshot records the repository folder `dir` holds (0 when it has none, or no folder). */
export async function countSnapshots(dir: string): Promise<number> {
  let count = 0;
  try {
    for await (const entry of Deno.readDir(`${dir}/snapshots`)) {
      if (entry.isFile && /^[0-9a-f]{16}$/.test(entry.name)) count++;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return count;
}
