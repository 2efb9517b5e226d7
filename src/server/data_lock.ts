/**
 * One server per data folder: `burrow serve` holds an exclusive lock on DATA/serve.lock for as
 * long as it runs (the chunk stores assume a single writer; a second server opening the same
 * packs would remove the first one's unfinished packs). The operating system drops the lock
 * when the process ends, however it ends.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import { type HeldLock, lockFile } from "../exclusive_lock.ts";

/** A held data-folder lock. */
export type DataLock = HeldLock;

/**
 * Takes the lock or fails at once with a clear error naming the folder; `action` says what needs
 * it in that error ("start the server", or an admin command's "scrub the repositories").
 */
export async function lockDataDir(
  dataDir: string,
  waitMs = 500,
  action = "start the server",
): Promise<DataLock> {
  const lock = await lockFile(`${dataDir}/serve.lock`, waitMs);
  if (lock === null) {
    throw new ConfigError(`Cannot ${action}: another burrow serve uses "${dataDir}"`);
  }
  return lock;
}
