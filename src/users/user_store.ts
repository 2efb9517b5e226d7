/**
 * The account store contract. A user store maps a validated user name to one `UserRecord`;
 * implementations (csv, sqlite, postgres, memory for tests) all pass
 * `tests/conformance/user_store_suite.ts`.
 *
 * @module
 */

/** One account as stored. Holds no secret the server could log in with: see docs/SECURITY.md. */
export interface UserRecord {
  /** Validated user name (see `validateUserName`). */
  name: string;
  /** Creation time, ISO 8601 UTC (`Date.prototype.toISOString`). */
  created: string;
  /** Time of the last successful login, ISO 8601 UTC, or null before the first. */
  lastLogin: string | null;
  /** The client's KDF parameters and salt, encoded by `encodeClientKdf` (auth module). */
  kdf: string;
  /** PHC string (`$argon2id$…` or `$scrypt$…`) of the client's auth key. */
  verifier: string;
  /**
   * The password was set by an administrator (`useradd --temporary`): the account may log in
   * and change its password, nothing else, until it does.
   */
  temporaryPassword: boolean;
  /**
   * Append-only (`useradd --append-only`, `usermod --append-only on`): the server refuses every
   * request that removes or replaces what the account stored (docs/SECURITY.md).
   */
  appendOnly: boolean;
  /** Most bytes of sealed chunks the account may store, or null for no limit. */
  quota: number | null;
  /** Disabled (`usermod --disable`): the account cannot log in; its data stays. */
  disabled: boolean;
}

/** The limits of an account an administrator did not restrict: the defaults of new accounts. */
export const UNRESTRICTED: Readonly<Pick<UserRecord, "appendOnly" | "quota" | "disabled">> = {
  appendOnly: false,
  quota: null,
  disabled: false,
};

/** Fields an update may change; absent fields keep their value. */
export interface UserUpdate {
  kdf?: string;
  verifier?: string;
  lastLogin?: string | null;
  temporaryPassword?: boolean;
  appendOnly?: boolean;
  quota?: number | null;
  disabled?: boolean;
}

/**
 * A persistent set of accounts.
 *
 * The file and database stores keep the columns of `_user_columns.ts` and bring older data up to
 * the current schema version when they open it; one whose data is newer than this code refuses
 * to open.
 *
 * Every method validates `name` first and throws `InvalidNameError` for a bad one. Writes are
 * atomic and durable when the promise resolves: a crash mid-write leaves either the old or the new
 * state, never a torn file (an update of `lastLogin` alone may skip the fsync: a power loss may
 * then forget login times, never an account). Stores are safe to use from several processes at once (another
 * process's `useradd` is visible to a running server's next `get`). Records returned are copies.
 * Names are case-sensitive. A backend failure (unreadable or broken file, lock held too long,
 * database error) is a `StoreError`; any method may throw one.
 */
export interface UserStore {
  /** The record for `name`, or null when there is none. */
  get(name: string): Promise<UserRecord | null>;
  /**
   * Adds a new record.
   * @throws {UserExistsError} when the name is taken; the store is unchanged.
   * @throws {RangeError} when `created` or `lastLogin` is not an ISO 8601 UTC time, or `quota`
   *   is neither null nor a non-negative safe integer.
   */
  add(record: UserRecord): Promise<void>;
  /**
   * Changes some fields of an existing record; an update with no fields only checks it exists.
   * @throws {NotFoundError} when there is none.
   * @throws {RangeError} when `lastLogin` is not an ISO 8601 UTC time or null, or `quota` is
   *   neither null nor a non-negative safe integer.
   */
  update(name: string, changes: UserUpdate): Promise<void>;
  /** Deletes a record. @throws {NotFoundError} when there is none. */
  remove(name: string): Promise<void>;
  /** Every record, sorted by name. */
  list(): Promise<UserRecord[]>;
  /** Releases files and handles; idempotent. Other methods must not be called afterwards. */
  close(): Promise<void>;
  /**
   * A 32-byte secret kept in the store, the same for every server that uses it (made from
   * `fresh` on the first call): only stores that several servers share have one; the others
   * leave each server its own secret file.
   */
  sharedSecret?(fresh: Uint8Array): Promise<Uint8Array>;
}
