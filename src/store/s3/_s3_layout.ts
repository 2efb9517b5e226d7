/**
 * Where an S3 chunk store keeps its objects, under its repository's key prefix (which ends in
 * `/`): `packs/<pack id>.pack`, `index/<pack id>.idx`, `journal/<new pack id>.repack` (only while
 * a delete rewrites packs) and `quarantine`: the local pack store's layout, as objects.
 *
 * @module
 */
import { validateUserName } from "../../names.ts";
import { PACK_NAME } from "../_pack_layout.ts";

/** The key of pack `name`'s object. */
export function packKey(root: string, name: string): string {
  return `${root}packs/${name}.pack`;
}

/** The key of pack `name`'s index object. */
export function indexKey(root: string, name: string): string {
  return `${root}index/${name}.idx`;
}

/** The key of the journal of a repack into pack `name`. */
export function journalKey(root: string, name: string): string {
  return `${root}journal/${name}.repack`;
}

/** The key of the quarantine object. */
export function quarantineKey(root: string): string {
  return `${root}quarantine`;
}

/** The pack name in `key` under `folder` (`packs/`, `index/`, `journal/`) with `suffix`, or null. */
export function nameIn(root: string, folder: string, suffix: string, key: string): string | null {
  const start = `${root}${folder}`;
  if (!key.startsWith(start) || !key.endsWith(suffix)) return null;
  const name = key.slice(start.length, key.length - suffix.length);
  return PACK_NAME.test(name) ? name : null;
}

/**
 * The key prefix of the repository of the account `user` created at `created`, under the
 * store's `prefix`: `PREFIX/USER/CREATED/`, so that a new account of a reused name never meets
 * an earlier account's objects. @throws {RangeError} for an invalid user name
 */
export function repositoryPrefix(prefix: string, user: string, created: string): string {
  const stamp = created.replace(/[^0-9A-Za-z]/g, "").slice(0, 40) || "unknown";
  return `${prefix === "" ? "" : `${prefix}/`}${validateUserName(user)}/${stamp}/`;
}
