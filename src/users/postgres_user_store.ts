/**
 * The `postgres://USER@HOST:PORT/DATABASE` user store: the accounts in a PostgreSQL table
 * (`_postgres_schema.ts`), through a small connection pool (the npm `postgres` driver). Every
 * change is one statement, so PostgreSQL makes it atomic and durable, and every server and admin
 * command using the database sees it at their next query. The database password never appears in
 * a message: messages name the STORE string redacted, and driver errors are scrubbed of it.
 *
 * @module
 */
import postgres, { type Sql, type TransactionSql } from "postgres";
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
import { USER_COLUMNS, USERS_SCHEMA_VERSION } from "./_user_columns.ts";
import { ensureUsersSchema, fromRow, USERS_TABLE } from "./_postgres_schema.ts";
import { parsePostgresUrl, type PostgresTarget, redactStoreSpec } from "./postgres_url.ts";
import { sharedSecret } from "./_postgres_secret.ts";

/** Options of `PostgresUserStore.open`. */
export interface PostgresUserStoreOptions {
  /**
   * Whether missing tables are created (default true); when false, a database without them is
   * refused and left unchanged. The database itself must exist.
   */
  create?: boolean;
  /**
   * The database password, when the caller has one (from a file or the environment); otherwise
   * the URL's, else the driver's own lookup in PGPASSFILE or ~/.pgpass.
   */
  password?: string;
}

/** Most connections one store opens at once. */
const MAX_CONNECTIONS = 10;
/** Seconds an unused connection stays open. */
const IDLE_TIMEOUT_S = 60;

const COLUMNS = USER_COLUMNS.map((c) => c.column);

/**
 * A `UserStore` in the `burrow_users` table of a PostgreSQL database. `add` inserts with
 * `ON CONFLICT DO NOTHING`, `update` sets only the given columns, `remove` deletes: each a
 * single statement, so concurrent writers from any number of processes never lose each other's
 * changes. Names sort by byte (`COLLATE "C"`), as in the other stores.
 */
export class PostgresUserStore implements UserStore {
  /** The STORE string with any password replaced by `***`: what messages show. */
  readonly label: string;
  readonly #sql: Sql;
  readonly #password: string | null;
  #closed = false;

  private constructor(label: string, sql: Sql, password: string | null) {
    this.label = label;
    this.#sql = sql;
    this.#password = password;
  }

  /**
   * Connects to the database `spec` names and creates (unless `create` is false) or migrates
   * its tables.
   * @throws {ConfigError} for a bad URL.
   * @throws {NotFoundError} when the tables are missing and `create` is false.
   * @throws {StoreError} when the database cannot be reached or refuses the login, or its schema
   *   is newer than this code knows.
   */
  static async open(
    spec: string,
    options: PostgresUserStoreOptions = {},
  ): Promise<PostgresUserStore> {
    const target = parsePostgresUrl(spec);
    const password = options.password ?? target.password;
    const store = new PostgresUserStore(
      redactStoreSpec(spec),
      connectPostgres(target, password),
      password,
    );
    try {
      const state = await store.#query(
        "open",
        (sql) => ensureUsersSchema(sql, options.create ?? true),
      );
      if (state.kind === "missing") {
        throw new NotFoundError(
          `Cannot open user store "${store.label}": it does not exist (database "${target.database}" has no ${USERS_TABLE} table)`,
        );
      }
      if (state.kind === "newer") {
        throw new StoreError(
          `Cannot open user store "${store.label}": schema version ${state.version} is newer than this burrow supports (${USERS_SCHEMA_VERSION})`,
        );
      }
      return store;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /** The record for `name`, or null. @throws {InvalidNameError} for a bad name. */
  async get(name: string): Promise<UserRecord | null> {
    const checked = validateUserName(name);
    const rows = await this.#query(
      "read",
      (sql) => sql`SELECT ${sql(COLUMNS)} FROM burrow_users WHERE name = ${checked}`,
    );
    return rows[0] === undefined ? null : fromRow(rows[0]);
  }

  /** Adds `record`. @throws {UserExistsError} when the name is taken; the store is unchanged. */
  async add(record: UserRecord): Promise<void> {
    const row = toRow(checkRecord(record));
    const result = await this.#query(
      "write",
      (sql) => sql`INSERT INTO burrow_users ${sql(row, COLUMNS)} ON CONFLICT (name) DO NOTHING`,
    );
    if (result.count === 0) throw new UserExistsError(record.name);
  }

  /** Changes the given fields of `name`. @throws {NotFoundError} when there is none. */
  async update(name: string, changes: UserUpdate): Promise<void> {
    const checked = validateUserName(name);
    const row = toRow(checkUpdate(changes));
    const given = Object.keys(row);
    const result = await this.#query(
      "write",
      (sql) =>
        given.length === 0
          ? sql`SELECT 1 FROM burrow_users WHERE name = ${checked}`
          : sql`UPDATE burrow_users SET ${sql(row, given)} WHERE name = ${checked}`,
    );
    if (result.count === 0) throw missingUser("update", checked);
  }

  /** Deletes `name`. @throws {NotFoundError} when there is none. */
  async remove(name: string): Promise<void> {
    const checked = validateUserName(name);
    const result = await this.#query(
      "write",
      (sql) => sql`DELETE FROM burrow_users WHERE name = ${checked}`,
    );
    if (result.count === 0) throw missingUser("remove", checked);
  }

  /**
   * Deletes the account `name` created at `created` and runs `also` in the same transaction:
   * both happen, or neither does. @throws {NotFoundError} when there is no such account (any
   * more); nothing is changed then
   */
  async removeWith(
    name: string,
    created: string,
    also: (tx: TransactionSql) => Promise<void>,
  ): Promise<void> {
    const checked = validateUserName(name);
    await this.#query("write", (sql) =>
      sql.begin(async (tx) => {
        const result = await tx`DELETE FROM burrow_users
          WHERE name = ${checked} AND created = ${created}::timestamptz`;
        if (result.count === 0) throw missingUser("remove", checked);
        await also(tx);
      }));
  }

  /** Every record, sorted by name. */
  async list(): Promise<UserRecord[]> {
    const rows = await this.#query(
      "read",
      (sql) => sql`SELECT ${sql(COLUMNS)} FROM burrow_users ORDER BY name`,
    );
    return rows.map(fromRow);
  }

  /**
   * The secret every server of this database shares (see `_postgres_secret.ts`), `fresh` when
   * none was stored yet.
   */
  async sharedSecret(fresh: Uint8Array): Promise<Uint8Array> {
    return await this.#query("open", (sql) => sharedSecret(sql, fresh));
  }

  /** Closes the connections, waiting up to 5 s for queries in flight; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sql.end({ timeout: 5 });
  }

  /**
   * Runs `action` on the pool of an open store; a driver failure becomes a StoreError whose
   * message and cause hold no password.
   */
  async #query<T>(verb: "open" | "read" | "write", action: (sql: Sql) => Promise<T>): Promise<T> {
    if (this.#closed) throw closedStore(`"${this.label}"`);
    try {
      return await action(this.#sql);
    } catch (error) {
      if (error instanceof BurrowError) throw error;
      const scrubbed = scrubError(error, this.#password);
      // Without a password the driver tried PGPASSFILE or ~/.pgpass; say so when it was refused.
      const hint = this.#password === null && isAuthFailure(error)
        ? " (no password was given)"
        : "";
      throw new StoreError(
        `Cannot ${verb} user store "${this.label}": ${errorMessage(scrubbed)}${hint}`,
        { cause: scrubbed },
      );
    }
  }
}

/**
 * The driver's pool for `target` (at most 10 connections, idle ones closed after a minute); it
 * connects at the first query. Driver errors may hold `password`: callers scrub their messages.
 */
export function connectPostgres(target: PostgresTarget, password: string | null): Sql {
  return postgres({
    host: target.host,
    port: target.port,
    database: target.database,
    username: target.user,
    ...(password === null ? {} : { password }),
    ssl: target.sslMode === "disable" ? false : target.sslMode,
    connect_timeout: target.connectTimeoutS,
    max: MAX_CONNECTIONS,
    idle_timeout: IDLE_TIMEOUT_S,
    // The tables use no array or custom types: skip the query that looks them up.
    fetch_types: false,
    // Notices ("relation exists, skipping") are not errors; the driver would print them.
    onnotice: false,
    connection: { application_name: "burrow" },
  });
}

/** True for PostgreSQL's "password authentication failed" (SQLSTATE 28P01). */
function isAuthFailure(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === "28P01";
}

/** The columns and values of a checked record or update, as the statements send them. */
function toRow(fields: Partial<UserRecord>): Record<string, string | number | boolean | null> {
  const row: Record<string, string | number | boolean | null> = {};
  for (const column of USER_COLUMNS) {
    const value = fields[column.field];
    if (value !== undefined) row[column.column] = value;
  }
  return row;
}

/**
 * `error`, or when its message or stack holds `password` (raw or percent-encoded), a plain Error
 * with the password replaced by `***` and no further cause.
 */
export function scrubError(error: unknown, password: string | null): unknown {
  if (password === null || password === "") return error;
  const text = error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
  const forms = [password, encodeURIComponent(password)];
  if (!forms.some((form) => text.includes(form))) return error;
  const scrub = (value: string) => forms.reduce((out, form) => out.replaceAll(form, "***"), value);
  const clean = new Error(scrub(errorMessage(error)));
  clean.stack = scrub(error instanceof Error ? error.stack ?? clean.message : clean.message);
  return clean;
}
