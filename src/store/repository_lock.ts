/**
 * One holder at a time for each user's repository, across processes: the running server holds
 * the lock of a user for as long as it has that user's repository open, and admin commands that
 * change the account or its repository (`userdel`) take it too, so neither ever sees the other
 * half-way. The lock is DATA/locks/NAME.lock (see `layout.ts`), outside the repository folder and
 * never deleted, so moving or removing the folder never breaks it.
 *
 * @module
 */
import { type SyncDir, syncDir } from "../atomic_file.ts";
import { type HeldLock, lockFile } from "../exclusive_lock.ts";
import { repositoryLockPath, repositoryLocksDir } from "./layout.ts";

/**
 * Takes the lock of `name`'s repository, waiting at most `waitMs` while another holder has it.
 * Creates DATA/locks (mode 0o700, fsynced into DATA) when missing, never DATA itself.
 *
 * @param options.syncDir fsyncs DATA once DATA/locks is made (default `syncDir`; tests record it)
 * @returns the held lock, or null when another holder kept it for the whole wait
 * @throws {InvalidNameError} for an invalid user name
 * @throws {Deno.errors.NotFound} when the data folder does not exist
 */
export async function lockRepository(
  dataDir: string,
  name: string,
  waitMs: number,
  options: { syncDir?: SyncDir } = {},
): Promise<HeldLock | null> {
  const path = repositoryLockPath(dataDir, name);
  try {
    await Deno.mkdir(repositoryLocksDir(dataDir), { mode: 0o700 });
    await (options.syncDir ?? syncDir)(dataDir);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  return await lockFile(path, waitMs);
}
