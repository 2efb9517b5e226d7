/**
 * The one lock primitive between processes (and between holders in one process): an exclusive
 * advisory lock (`Deno.FsFile.lock`, flock on Unix) on a lock file that is never deleted.
 * The operating system drops the lock when its holder closes the file or ends, however it ends,
 * so a crash never leaves a stale lock. Lock files stay in place: deleting one that another
 * process holds or waits on would let a third lock a new file of the same name while the first
 * still holds the old one.
 *
 * Waiting polls a non-blocking attempt instead of blocking a thread: a blocked attempt given up
 * on would stay in the operating system's queue and take the lock later, behind the caller's back.
 *
 * @module
 */

/** A held lock; `release` is idempotent. */
export interface HeldLock {
  /** Drops the lock (closes the lock file). */
  release(): void;
}

/** Pause between two attempts while another holder has the lock. */
const RETRY_MS = 20;

/**
 * Takes the exclusive lock on the file at `path` (created with mode 0o600 when missing), trying
 * again until `waitMs` has passed.
 *
 * @returns the held lock, or null when another holder kept it for the whole wait
 * @throws the file system's error when the lock file cannot be opened (its folder is missing)
 */
export async function lockFile(path: string, waitMs: number): Promise<HeldLock | null> {
  const file = await Deno.open(path, { create: true, write: true, mode: 0o600 });
  const deadline = Date.now() + waitMs;
  try {
    while (!await file.tryLock(true)) {
      if (Date.now() >= deadline) {
        file.close();
        return null;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  } catch (error) {
    file.close();
    throw error;
  }
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      file.close();
    },
  };
}
