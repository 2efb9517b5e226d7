/**
 * The PostgreSQL user store's tables and how they are created and migrated: `burrow_users` holds
 * one row per account, one column per entry of `_user_columns.ts` typed by its kind, and
 * `burrow_schema` one row per component (`users`) with the schema version its tables have.
 * Creation and migration run in one transaction under a transaction-level advisory lock, so
 * servers and admin commands starting at once on one database create or migrate it exactly once;
 * a database whose version is newer than this code knows is refused, unchanged.
 *
 * @module
 */
import type { Sql, TransactionSql } from "postgres";
import {
  type ColumnKind,
  recordFrom,
  USER_COLUMNS,
  type UserColumn,
  USERS_SCHEMA_VERSION,
} from "./_user_columns.ts";
import type { UserRecord } from "./user_store.ts";

/** The table of accounts. */
export const USERS_TABLE = "burrow_users";
/** The table of schema versions, one row per component. */
export const SCHEMA_TABLE = "burrow_schema";
/** This store's row in `burrow_schema`. */
export const USERS_COMPONENT = "users";
/**
 * The advisory lock key taken while the schema is checked, created or migrated: "burrow" in
 * ASCII, so it cannot be mistaken for another application's key by chance.
 */
export const SCHEMA_LOCK_KEY = 0x627572726f77;

/** PostgreSQL's column definition for each kind; `name` is the primary key. */
const TYPES: Readonly<Record<ColumnKind, string>> = {
  text: "text NOT NULL DEFAULT ''",
  time: "timestamptz NOT NULL",
  "optional-time": "timestamptz",
  flag: "boolean NOT NULL DEFAULT false",
  "optional-count": "bigint CHECK (%s >= 0)",
};

/** The definition of `column` after its name. */
function definition(column: UserColumn): string {
  // "C" collation: names sort by byte, as the other stores sort them, whatever the database's.
  if (column.field === "name") return 'text COLLATE "C" PRIMARY KEY';
  return TYPES[column.kind].replace("%s", column.column);
}

/** What the schema check found. */
export type SchemaState =
  | { kind: "ready" }
  | { kind: "missing" }
  | { kind: "newer"; version: number };

/**
 * Brings the tables to `USERS_SCHEMA_VERSION`: creates them when missing and `create` is true,
 * adds the columns of later versions to older ones. Changes nothing when they are missing and
 * `create` is false, or when their version is newer than this code's.
 */
export function ensureUsersSchema(sql: Sql, create: boolean): Promise<SchemaState> {
  return sql.begin(async (tx): Promise<SchemaState> => {
    await tx`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY})`;
    const version = await usersVersion(tx);
    if (version > USERS_SCHEMA_VERSION) return { kind: "newer", version };
    if (version === USERS_SCHEMA_VERSION) return { kind: "ready" };
    if (version === 0) {
      if (!create) return { kind: "missing" };
      await createTables(tx);
    } else {
      for (const column of USER_COLUMNS.filter((c) => c.since > version)) {
        await tx.unsafe(
          `ALTER TABLE ${USERS_TABLE} ADD COLUMN ${column.column} ${definition(column)}`,
        );
      }
    }
    await tx`UPDATE burrow_schema SET version = ${USERS_SCHEMA_VERSION}
      WHERE component = ${USERS_COMPONENT}`;
    return { kind: "ready" };
  });
}

/** The users tables' schema version, 0 when they do not exist. */
async function usersVersion(tx: TransactionSql): Promise<number> {
  const [table] = await tx`SELECT to_regclass(${SCHEMA_TABLE}) IS NOT NULL AS present`;
  if (table?.present !== true) return 0;
  const [row] = await tx`SELECT version FROM burrow_schema WHERE component = ${USERS_COMPONENT}`;
  return row === undefined ? 0 : Number(row.version);
}

/** Creates `burrow_schema` (unless another component made it) and `burrow_users`, version 0. */
async function createTables(tx: TransactionSql): Promise<void> {
  await tx.unsafe(`CREATE TABLE IF NOT EXISTS ${SCHEMA_TABLE} (
    component text PRIMARY KEY,
    version integer NOT NULL
  )`);
  const columns = USER_COLUMNS.map((c) => `${c.column} ${definition(c)}`).join(",\n    ");
  await tx.unsafe(`CREATE TABLE ${USERS_TABLE} (\n    ${columns}\n  )`);
  await tx`INSERT INTO burrow_schema (component, version) VALUES (${USERS_COMPONENT}, 0)`;
}

/** A record field's value. */
type FieldValue = UserRecord[keyof UserRecord];

/** A record from a `burrow_users` row as the driver returns it. */
export function fromRow(row: Record<string, unknown>): UserRecord {
  return recordFrom(USERS_SCHEMA_VERSION, (column) => {
    const value = row[column.column] ?? null;
    if (value instanceof Date) return value.toISOString();
    // bigint arrives as a string, so that no value above 2^53 loses digits.
    if (column.kind === "optional-count") return value === null ? null : Number(value);
    return value as FieldValue;
  });
}
