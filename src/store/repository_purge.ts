/**
 * Moving a removed account's repository out of reach of every login, all or nothing. `userdel`
 * keeps it as DATA/repos/.removed-NAME-TIME (`keepRepositoryAside`), so that a new account of
 * the same name starts empty. `userdel --purge` renames it to DATA/repos/.purge-NAME-TAG and only
 * then deletes it: a crash or a failed delete leaves a folder under that name and nothing
 * half-deleted under the user's own; `sweepPurgedRepositories` (run by `serve` on start and by
 * `userdel`) deletes such leftovers, and never a kept one.
 *
 * The caller of `moveRepositoryAside`, `keepRepositoryAside` and `moveRepositoryBack` holds the
 * user's repository lock (`repository_lock.ts`); the sweep takes each lock itself and skips
 * folders whose lock is held.
 *
 * @module
 */
import { syncDir } from "../atomic_file.ts";
import { toHex } from "../format/chunk_id.ts";
import {
  purgedRepositoryDir,
  purgedRepositoryUser,
  removedRepositoryDir,
  userRepositoryDir,
} from "./layout.ts";
import { lockRepository } from "./repository_lock.ts";

/**
 * Renames `name`'s repository folder aside to be deleted, durably (the folder DATA/repos is
 * fsynced).
 * @param aside where to (default: a new DATA/repos/.purge-NAME-TAG)
 * @returns the new path, or null when the user has no repository folder
 */
export async function moveRepositoryAside(
  dataDir: string,
  name: string,
  aside = purgedRepositoryDir(dataDir, name, toHex(crypto.getRandomValues(new Uint8Array(8)))),
): Promise<string | null> {
  const dir = userRepositoryDir(dataDir, name);
  try {
    await Deno.rename(dir, aside);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  await syncDir(`${dataDir}/repos`);
  return aside;
}

/**
 * Renames `name`'s repository folder to DATA/repos/.removed-NAME-TIME (TIME: `now` in UTC, to the
 * second; `-2`, `-3`… follow when that name is taken), where it stays until someone deletes it.
 * @returns the new path, or null when the user has no repository folder
 */
export async function keepRepositoryAside(
  dataDir: string,
  name: string,
  now = new Date(),
): Promise<string | null> {
  const base = removedRepositoryDir(dataDir, name, now);
  for (let n = 1;; n++) {
    const aside = n === 1 ? base : `${base}-${n}`;
    // Only userdel makes such names, under this user's lock: nothing can take it meanwhile.
    if (await Deno.lstat(aside).then(() => true, () => false)) continue;
    return await moveRepositoryAside(dataDir, name, aside);
  }
}

/** Undoes `moveRepositoryAside`: renames `aside` back to `name`'s repository folder, durably. */
export async function moveRepositoryBack(
  dataDir: string,
  name: string,
  aside: string,
): Promise<void> {
  await Deno.rename(aside, userRepositoryDir(dataDir, name));
  await syncDir(`${dataDir}/repos`);
}

/**
 * Deletes every DATA/repos/.purge-NAME-TAG folder whose user lock is free. Never throws: each
 * failure (a folder that cannot be deleted, DATA/repos unreadable) goes to `onFailure` and the
 * sweep goes on.
 *
 * @returns how many folders were deleted
 */
export async function sweepPurgedRepositories(
  dataDir: string,
  onFailure: (path: string, error: unknown) => void = () => {},
): Promise<number> {
  const repos = `${dataDir}/repos`;
  const leftovers: { path: string; user: string }[] = [];
  try {
    for await (const entry of Deno.readDir(repos)) {
      const user = purgedRepositoryUser(entry.name);
      if (user !== null && entry.isDirectory) {
        leftovers.push({ path: `${repos}/${entry.name}`, user });
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) onFailure(repos, error);
    return 0;
  }
  let deleted = 0;
  for (const { path, user } of leftovers) {
    try {
      const lock = await lockRepository(dataDir, user, 0);
      if (lock === null) continue;
      try {
        await Deno.remove(path, { recursive: true });
        deleted++;
      } finally {
        lock.release();
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) onFailure(path, error);
    }
  }
  return deleted;
}
