/**
 * Where things live under the server's data folder. Every user name is validated before it
 * becomes part of a path, so no name can reach outside its own folder.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { USER_NAME_PATTERN, validateUserName } from "../names.ts";

/** The folder that holds one user's repository: DATA/repos/NAME. */
export function userRepositoryDir(dataDir: string, name: string): string {
  return `${dataDir}/repos/${validateUserName(name)}`;
}

/**
 * The lock file of one user's repository: DATA/locks/NAME.lock, outside the repository folder so
 * that moving or deleting the folder never touches the lock (see `repository_lock.ts`).
 */
export function repositoryLockPath(dataDir: string, name: string): string {
  return `${repositoryLocksDir(dataDir)}/${validateUserName(name)}.lock`;
}

/** The folder of the repository lock files: DATA/locks. */
export function repositoryLocksDir(dataDir: string): string {
  return `${dataDir}/locks`;
}

/**
 * Where `userdel --purge` moves a repository before deleting it: DATA/repos/.purge-NAME-TAG. No
 * user can have that name (user names start with a letter or digit), so no login reaches it.
 */
export function purgedRepositoryDir(dataDir: string, name: string, tag: string): string {
  if (!/^[0-9a-f]{16}$/.test(tag)) throw new RangeError(`Invalid purge tag "${tag}"`);
  return `${dataDir}/repos/${PURGED_PREFIX}${validateUserName(name)}-${tag}`;
}

/**
 * Where `userdel` (without --purge) keeps a removed account's repository:
 * DATA/repos/.removed-NAME-YYYYMMDDTHHMMSSZ, named after the time of removal (UTC). No user can
 * have that name, so no login (a new account of the same name included) reaches it, and the
 * sweep of purge leftovers never matches it: it stays until an administrator deletes it.
 */
export function removedRepositoryDir(dataDir: string, name: string, time: Date): string {
  const stamp = time.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
  return `${dataDir}/repos/.removed-${validateUserName(name)}-${stamp}`;
}

/**
 * The file name of the master key wrapped for the password whose client KDF string is `kdf`:
 * the first 32 hex digits of its SHA-256, then `.key` (in the repository's `keys/`).
 */
export function keyFileName(kdf: string): string {
  return `${createHash("sha256").update(kdf).digest("hex").slice(0, 32)}.key`;
}

/** The user name in the name of a folder made by `purgedRepositoryDir`, or null for any other. */
export function purgedRepositoryUser(folderName: string): string | null {
  const match = PURGED_NAME.exec(folderName);
  return match?.[1] ?? null;
}

const PURGED_PREFIX = ".purge-";
const PURGED_NAME = new RegExp(
  `^\\.purge-(${USER_NAME_PATTERN.source.slice(1, -1)})-[0-9a-f]{16}$`,
);
