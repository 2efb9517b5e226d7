/**
 * The `sqlite:PATH` user store: one SQLite database (node:sqlite) in WAL mode, safe for several
 * processes at once; SQLite's own locking and journal make every change atomic.
 *
 * @module
 */
import { dirname } from "node:path";
import { DatabaseSync, type SQLOutputValue, type StatementSync } from "node:sqlite";
import { makeDirDurable } from "../atomic_file.ts";
import {
  BurrowError,
  errorMessage,
  NotFoundError,
  StoreError,
  UserExistsError,
} from "../errors.ts";
import type { UserRecord, UserStore, UserUpdate } from "./user_store.ts";
import { validateUserName } from "./user_name.ts";
import { checkRecord, checkUpdate, closedStore, missingUser } from "./_user_record.ts";
import {
  addColumnsSql,
  kindOf,
  recordFrom,
  USER_COLUMNS,
  USERS_SCHEMA_VERSION,
} from "./_user_columns.ts";

/** The schema version this code writes, kept in `PRAGMA user_version`. */
export const SQLITE_SCHEMA_VERSION = USERS_SCHEMA_VERSION;

/**
 * `MIGRATIONS[v]` takes a database from schema version v to v + 1: version 1 made the table with
 * the first five columns, every later version adds its columns (`_user_columns.ts`).
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE users (
    name TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    last_login TEXT,
    kdf TEXT NOT NULL,
    verifier TEXT NOT NULL
  )`,
  ...Array.from({ length: SQLITE_SCHEMA_VERSION - 1 }, (_, i) => addColumnsSql(i + 2)),
];

/** How long a statement waits for another connection's lock. */
const BUSY_TIMEOUT_MS = 5000;

const COLUMNS = USER_COLUMNS.map((c) => c.column).join(", ");
const PLACEHOLDERS = USER_COLUMNS.map(() => "?").join(", ");

/** Options of `SqliteUserStore.open`. */
export interface SqliteUserStoreOptions {
  /**
   * Whether a missing database is created, with its parent folder (default true); when false,
   * opening a missing file fails and creates nothing.
   */
  create?: boolean;
}

/**
 * A `UserStore` in a SQLite database with table `users`, one column per field of `UserRecord`
 * (`_user_columns.ts`); `PRAGMA user_version` holds the schema version, and an older database is
 * migrated on open in one write transaction.
 *
 * Opened with `journal_mode=WAL` (readers never block the writer), `busy_timeout=5000` (a write
 * waits up to 5 s for another process's write) and `synchronous=FULL`: with WAL, NORMAL keeps the
 * database consistent but a power loss may undo the last commits, and the contract promises a
 * write is durable once its promise resolves; user writes are rare, so the fsync per commit is
 * cheap. The one exception is an update of `lastLogin` alone, which every login makes: it commits
 * with NORMAL (no fsync; ~0.03 ms instead of ~2 ms here, on an event loop that 50 logins at once
 * share), so a power loss may forget the latest login times, never an account change.
 * node:sqlite is synchronous: a call blocks the event loop for the (short) query.
 */
export class SqliteUserStore implements UserStore {
  /** The database file's path, as given. */
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #statements: Record<"get" | "add" | "remove" | "list", StatementSync>;
  #closed = false;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.#db = db;
    this.#statements = {
      get: db.prepare(`SELECT ${COLUMNS} FROM users WHERE name = ?`),
      add: db.prepare(
        `INSERT INTO users (${COLUMNS}) VALUES (${PLACEHOLDERS}) ON CONFLICT (name) DO NOTHING`,
      ),
      remove: db.prepare("DELETE FROM users WHERE name = ?"),
      list: db.prepare(`SELECT ${COLUMNS} FROM users ORDER BY name`),
    };
  }

  /**
   * Opens (creating when missing unless `create` is false, mode 0600, parent folder included) and
   * migrates the database.
   * @throws {NotFoundError} when the file is missing and `create` is false.
   * @throws {StoreError} when it cannot be opened, is not a database, or has a newer schema.
   */
  static async open(
    path: string,
    options: SqliteUserStoreOptions = {},
  ): Promise<SqliteUserStore> {
    if (path === "") throw new StoreError("Cannot open user store: empty path");
    try {
      if (options.create === false) await Deno.stat(path);
      else await createPrivateFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new NotFoundError(`Cannot open user store "${path}": it does not exist`);
      }
      throw new StoreError(`Cannot open user store "${path}": ${errorMessage(error)}`, {
        cause: error,
      });
    }
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (;;) {
      let db: DatabaseSync | undefined;
      try {
        db = new DatabaseSync(path);
        configure(db);
        migrate(db, path);
        return new SqliteUserStore(path, db);
      } catch (error) {
        db?.close();
        if (error instanceof BurrowError) throw error;
        // Switching a new database to WAL can report "locked" without waiting for busy_timeout
        // when another process does the same at that moment: wait and start over.
        if (isBusy(error) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 20));
          continue;
        }
        throw new StoreError(`Cannot open user store "${path}": ${errorMessage(error)}`, {
          cause: error,
        });
      }
    }
  }

  /** The record for `name`, or null. @throws {InvalidNameError} for a bad name. */
  get(name: string): Promise<UserRecord | null> {
    return this.#run("read", () => {
      const row = this.#statements.get.get(validateUserName(name));
      return row === undefined ? null : toRecord(row);
    });
  }

  /** Adds `record`. @throws {UserExistsError} when the name is taken; the store is unchanged. */
  add(record: UserRecord): Promise<void> {
    return this.#run("write", () => {
      const r = checkRecord(record);
      const values = USER_COLUMNS.map((c) => kindOf(c).toSql(r[c.field]));
      const result = this.#statements.add.run(...values);
      if (Number(result.changes) === 0) throw new UserExistsError(r.name);
    });
  }

  /** Changes the given fields of `name`. @throws {NotFoundError} when there is none. */
  update(name: string, changes: UserUpdate): Promise<void> {
    return this.#run("write", () => {
      validateUserName(name);
      const checked = checkUpdate(changes);
      const given = USER_COLUMNS.filter((c) => checked[c.field as keyof UserUpdate] !== undefined);
      // "name = name" keeps the statement valid when no field is given: it then only checks
      // that the user exists.
      const sets = ["name = name", ...given.map((c) => `${c.column} = ?`)];
      const values = given.map((c) => kindOf(c).toSql(checked[c.field as keyof UserUpdate]!));
      const statement = this.#db.prepare(`UPDATE users SET ${sets.join(", ")} WHERE name = ?`);
      const bookkeeping = given.length === 1 && given[0]!.field === "lastLogin";
      if (bookkeeping) this.#db.exec("PRAGMA synchronous = NORMAL");
      try {
        if (Number(statement.run(...values, name).changes) === 0) throw missingUser("update", name);
      } finally {
        if (bookkeeping) this.#db.exec("PRAGMA synchronous = FULL");
      }
    });
  }

  /** Deletes `name`. @throws {NotFoundError} when there is none. */
  remove(name: string): Promise<void> {
    return this.#run("write", () => {
      const result = this.#statements.remove.run(validateUserName(name));
      if (Number(result.changes) === 0) throw missingUser("remove", name);
    });
  }

  /** Every record, sorted by name. */
  list(): Promise<UserRecord[]> {
    return this.#run("read", () => this.#statements.list.all().map(toRecord));
  }

  /** Closes the database; idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }

  /** Runs `action` on an open store; SQLite failures become StoreError, throws become rejections. */
  #run<T>(verb: "read" | "write", action: () => T): Promise<T> {
    return new Promise((resolve) => {
      if (this.#closed) throw closedStore(`"${this.path}"`);
      try {
        resolve(action());
      } catch (error) {
        // Domain errors and the checks' TypeError/RangeError pass through unchanged.
        if (
          error instanceof BurrowError || error instanceof TypeError || error instanceof RangeError
        ) throw error;
        throw new StoreError(`Cannot ${verb} user store "${this.path}": ${errorMessage(error)}`, {
          cause: error,
        });
      }
    });
  }
}

/** Creates the parent folder (0700) and an empty database file (0600) when they are missing. */
async function createPrivateFile(path: string): Promise<void> {
  await makeDirDurable(dirname(path));
  try {
    const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    file.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
}

/** True for SQLite's "database is locked" (SQLITE_BUSY) and "table is locked" (SQLITE_LOCKED). */
function isBusy(error: unknown): boolean {
  return error instanceof Error && /\b(database|table) is locked\b/.test(error.message);
}

/** Sets the connection's pragmas; busy_timeout first, so switching to WAL can wait too. */
function configure(db: DatabaseSync): void {
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
}

/** Brings the schema to `SQLITE_SCHEMA_VERSION` in one write transaction. */
function migrate(db: DatabaseSync, path: string): void {
  if (schemaVersion(db, path) === SQLITE_SCHEMA_VERSION) return;
  // IMMEDIATE takes the write lock first, so two processes cannot both migrate.
  db.exec("BEGIN IMMEDIATE");
  try {
    for (let version = schemaVersion(db, path); version < SQLITE_SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version] ?? "");
    }
    db.exec(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/** The database's schema version. @throws {StoreError} when it is newer than this code knows. */
function schemaVersion(db: DatabaseSync, path: string): number {
  const row = db.prepare("PRAGMA user_version").get();
  const version = Number(row?.user_version ?? 0);
  if (version > SQLITE_SCHEMA_VERSION) {
    throw new StoreError(
      `Cannot open user store "${path}": schema version ${version} is newer than this burrow supports (${SQLITE_SCHEMA_VERSION})`,
    );
  }
  return version;
}

/** A record from a `users` row. */
function toRecord(row: Record<string, SQLOutputValue>): UserRecord {
  return recordFrom(USERS_SCHEMA_VERSION, (c) => kindOf(c).fromSql(row[c.column] ?? null));
}
