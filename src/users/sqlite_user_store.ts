/**
 * The `sqlite:PATH` user store: one SQLite database (node:sqlite) in WAL mode, safe for several
 * processes at once; SQLite's own locking and journal make every change atomic.
 *
 * @module
 */
import { dirname } from "node:path";
import { DatabaseSync, type SQLOutputValue, type StatementSync } from "node:sqlite";
import { makeDirDurable } from "../atomic_file.ts";
import { BurrowError, errorMessage, StoreError, UserExistsError } from "../errors.ts";
import type { UserRecord, UserStore, UserUpdate } from "./user_store.ts";
import { validateUserName } from "./user_name.ts";
import { checkRecord, checkUpdate, closedStore, missingUser } from "./_user_record.ts";

/** The schema version this code writes, kept in `PRAGMA user_version`. */
export const SQLITE_SCHEMA_VERSION = 1;

/** `MIGRATIONS[v]` takes a database from schema version v to v + 1. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE users (
    name TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    last_login TEXT,
    kdf TEXT NOT NULL,
    verifier TEXT NOT NULL
  )`,
];

/** How long a statement waits for another connection's lock. */
const BUSY_TIMEOUT_MS = 5000;

const COLUMNS = "name, created, last_login, kdf, verifier";

/**
 * A `UserStore` in a SQLite database with table `users(name, created, last_login, kdf, verifier)`.
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
        `INSERT INTO users (${COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
      ),
      remove: db.prepare("DELETE FROM users WHERE name = ?"),
      list: db.prepare(`SELECT ${COLUMNS} FROM users ORDER BY name`),
    };
  }

  /**
   * Opens (creating when missing, mode 0600, parent folder included) and migrates the database.
   * @throws {StoreError} when it cannot be opened, is not a database, or has a newer schema.
   */
  static async open(path: string): Promise<SqliteUserStore> {
    if (path === "") throw new StoreError("Cannot open user store: empty path");
    try {
      await createPrivateFile(path);
    } catch (error) {
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
      const result = this.#statements.add.run(r.name, r.created, r.lastLogin, r.kdf, r.verifier);
      if (Number(result.changes) === 0) throw new UserExistsError(r.name);
    });
  }

  /** Changes the given fields of `name`. @throws {NotFoundError} when there is none. */
  update(name: string, changes: UserUpdate): Promise<void> {
    return this.#run("write", () => {
      validateUserName(name);
      const checked = checkUpdate(changes);
      const fields: [string, string | null | undefined][] = [
        ["kdf", checked.kdf],
        ["verifier", checked.verifier],
        ["last_login", checked.lastLogin],
      ];
      const given = fields.filter(([, value]) => value !== undefined);
      // "name = name" keeps the statement valid when no field is given: it then only checks
      // that the user exists.
      const sets = ["name = name", ...given.map(([column]) => `${column} = ?`)];
      const values = given.map(([, value]) => value ?? null);
      const statement = this.#db.prepare(`UPDATE users SET ${sets.join(", ")} WHERE name = ?`);
      const bookkeeping = given.length === 1 && given[0]![0] === "last_login";
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
  return {
    name: String(row.name),
    created: String(row.created),
    lastLogin: row.last_login === null ? null : String(row.last_login),
    kdf: String(row.kdf),
    verifier: String(row.verifier),
  };
}
