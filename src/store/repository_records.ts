/**
 * What a repository holds besides its chunks: sealed snapshot records and wrapped master keys.
 * `FileRecords` keeps them in the repository folder; `PostgresRecords` in PostgreSQL, where
 * every server of one service sees the same records at once. Both pass
 * `tests/conformance/repository_records_suite.ts`.
 *
 * @module
 */

/** A sealed snapshot record as the server keeps it. */
export interface StoredSnapshot {
  id: string;
  record: Uint8Array;
}

/** A snapshot whose record could not be read, and why (no paths: the client sees it). */
export interface UnreadableSnapshot {
  id: string;
  reason: string;
}

/** Every snapshot record of a repository: those read, and those that could not be. */
export interface SnapshotListing {
  snapshots: StoredSnapshot[];
  unreadable: UnreadableSnapshot[];
}

/**
 * The snapshot records and wrapped keys of one repository. Records are written once and never
 * replaced; every write is atomic and durable when its promise resolves.
 */
export interface RepositoryRecords {
  /** The wrapped master key for the password whose client KDF string is `kdf`, or null. */
  readKey(kdf: string): Promise<Uint8Array | null>;
  /**
   * Stores the wrapped master key for `kdf`, replacing one there unless `createNew`.
   * @throws {BurrowError} CONFLICT with `createNew` when a key for `kdf` exists (two first pushes
   *   at once: the second must use the first one's key)
   */
  writeKey(kdf: string, wrapped: Uint8Array, options: { createNew: boolean }): Promise<void>;
  /** Removes the wrapped keys of every password but the one whose KDF string is `kdf`. */
  removeKeysExcept(kdf: string): Promise<void>;
  /** Every stored snapshot record, sorted by id; records that cannot be read in `unreadable`. */
  listSnapshots(): Promise<SnapshotListing>;
  /**
   * Stores the snapshot record `id` atomically (validated first).
   * @throws {BurrowError} CONFLICT when a snapshot with this id exists; nothing changes then
   */
  writeSnapshot(id: string, record: Uint8Array): Promise<void>;
  /**
   * Removes the snapshot records `ids` after checking that every one exists.
   * @throws {NotFoundError} naming the first id that does not exist; nothing is removed then
   */
  forgetSnapshots(ids: readonly string[]): Promise<void>;
}

/** The error of a second first key. */
export const KEY_EXISTS_MESSAGE = "Cannot store the repository key: the user has one already";

/** The message of a commit whose snapshot id is taken. */
export function snapshotExistsMessage(id: string): string {
  return `Cannot commit snapshot ${id}: it exists`;
}

/** The message of a forget of a snapshot that is not there. */
export function snapshotMissingMessage(id: string): string {
  return `Cannot forget snapshot ${id}: it does not exist`;
}
