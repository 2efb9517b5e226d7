/**
 * Accounts: the `UserStore` contract and its implementations (csv, sqlite, postgres, memory for
 * tests), opened from a STORE string through one registry.
 *
 * A store maps a user name to one `UserRecord` (creation and last-login times, the client's KDF
 * parameters and salt, the PHC verifier of the client's auth key, whether the password is a
 * temporary one an administrator set, and the limits an administrator set: append-only, a quota
 * of stored bytes, disabled; never a password). Invariants
 * every implementation keeps, checked by `tests/conformance/user_store_suite.ts`:
 *
 * - Every name is validated (`validateUserName`) before it touches a file or a query.
 * - A write is atomic and durable when its promise resolves; a failed write changes nothing.
 * - Names are unique and case-sensitive; `list` is sorted by name.
 * - Several processes may use one store at once: a `useradd` run while the server is up is seen
 *   by the server's next `get`, and two concurrent `useradd`s both land.
 * - Records handed out are copies: changing one does not change the store.
 * - A store is created only when its opener asks for it (`create`); data of an older schema
 *   version is migrated on open, atomically (`_user_columns.ts` says how a column is added).
 *
 * @module
 */
export { UNRESTRICTED, type UserRecord, type UserStore, type UserUpdate } from "./user_store.ts";
export { USER_NAME_PATTERN, validateUserName } from "./user_name.ts";
export { CsvUserStore, type CsvUserStoreOptions } from "./csv_user_store.ts";
export {
  SQLITE_SCHEMA_VERSION,
  SqliteUserStore,
  type SqliteUserStoreOptions,
} from "./sqlite_user_store.ts";
export { MemoryUserStore } from "./memory_user_store.ts";
export { PostgresUserStore, type PostgresUserStoreOptions } from "./postgres_user_store.ts";
export { parsePostgresUrl, type PostgresTarget, redactStoreSpec } from "./postgres_url.ts";
export {
  absoluteStoreSpec,
  defaultStoreSpec,
  describeStoreSpec,
  openUserStore,
  type OpenUserStoreOptions,
  parseStoreSpec,
  type StoreScheme,
  type StoreSpec,
} from "./registry.ts";
