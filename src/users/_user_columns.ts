/**
 * The columns of a user table, shared by the CSV, SQLite and PostgreSQL stores so that all keep
 * the same fields under the same names and convert them the same way. Schema version N holds, in
 * this order, the columns whose `since` is at most N; each store records its version (the CSV
 * header, SQLite's `user_version`, PostgreSQL's `burrow_schema` table) and brings an older one up
 * to date on open, atomically.
 *
 * To add a field: add it to `UserRecord` (and to `UserUpdate` if it may change) and to
 * `checkRecord`, append a column here with `since` one above `USERS_SCHEMA_VERSION` and the value
 * older rows get (`fallback`), and raise `USERS_SCHEMA_VERSION`. Nothing else changes: the SQLite
 * and PostgreSQL stores add the column with `ALTER TABLE … ADD COLUMN` (PostgreSQL's column type
 * comes from the kind, `_postgres_schema.ts`) and the CSV store rewrites an older file under the
 * new header.
 *
 * @module
 */
import type { SQLInputValue, SQLOutputValue } from "node:sqlite";
import type { UserRecord } from "./user_store.ts";
import { isTimestamp } from "./_user_record.ts";

/** The schema version this code reads and writes: the highest `since` of `USER_COLUMNS`. */
export const USERS_SCHEMA_VERSION = 3;

/** How a column's value is held: in a record, as CSV text and as an SQLite value. */
export type ColumnKind = "text" | "time" | "optional-time" | "flag" | "optional-count";

/** One column: its name in CSV headers and in SQLite, the record field, and when it came. */
export interface UserColumn {
  column: string;
  field: keyof UserRecord;
  kind: ColumnKind;
  /** The schema version that added it. */
  since: number;
}

/** Every column, in CSV order. */
export const USER_COLUMNS: readonly UserColumn[] = [
  { column: "name", field: "name", kind: "text", since: 1 },
  { column: "created", field: "created", kind: "time", since: 1 },
  { column: "last_login", field: "lastLogin", kind: "optional-time", since: 1 },
  { column: "kdf", field: "kdf", kind: "text", since: 1 },
  { column: "verifier", field: "verifier", kind: "text", since: 1 },
  { column: "temporary_password", field: "temporaryPassword", kind: "flag", since: 2 },
  { column: "append_only", field: "appendOnly", kind: "flag", since: 3 },
  { column: "quota", field: "quota", kind: "optional-count", since: 3 },
  { column: "disabled", field: "disabled", kind: "flag", since: 3 },
];

/** The columns of schema version `version`, in order. */
export function columnsOf(version: number): UserColumn[] {
  return USER_COLUMNS.filter((c) => c.since <= version);
}

/** A record field's value. */
type FieldValue = UserRecord[keyof UserRecord];

interface KindCodec {
  /** The SQLite column definition after its name; new columns need a default for old rows. */
  sql: string;
  /** The value of rows written before the column existed. */
  fallback: FieldValue;
  toText(value: FieldValue): string;
  /** The value for `text`, or a phrase saying what is wrong with it. */
  fromText(text: string): { value: FieldValue } | { problem: string };
  toSql(value: FieldValue): SQLInputValue;
  fromSql(value: SQLOutputValue): FieldValue;
}

const KINDS: Readonly<Record<ColumnKind, KindCodec>> = {
  text: {
    sql: "TEXT NOT NULL DEFAULT ''",
    fallback: "",
    toText: (value) => String(value),
    fromText: (text) => ({ value: text }),
    toSql: (value) => String(value),
    fromSql: (value) => String(value),
  },
  time: {
    sql: "TEXT NOT NULL",
    fallback: "",
    toText: (value) => String(value),
    fromText: (text) =>
      isTimestamp(text) ? { value: text } : { problem: "is not an ISO 8601 UTC time" },
    toSql: (value) => String(value),
    fromSql: (value) => String(value),
  },
  "optional-time": {
    sql: "TEXT",
    fallback: null,
    toText: (value) => value === null ? "" : String(value),
    fromText: (text) =>
      text === ""
        ? { value: null }
        : isTimestamp(text)
        ? { value: text }
        : { problem: "is not an ISO 8601 UTC time" },
    toSql: (value) => value === null ? null : String(value),
    fromSql: (value) => value === null ? null : String(value),
  },
  flag: {
    sql: "INTEGER NOT NULL DEFAULT 0",
    fallback: false,
    toText: (value) => value === true ? "true" : "false",
    fromText: (text) =>
      text === "true" || text === "false"
        ? { value: text === "true" }
        : { problem: 'is neither "true" nor "false"' },
    toSql: (value) => value === true ? 1 : 0,
    fromSql: (value) => Number(value) === 1,
  },
  "optional-count": {
    sql: "INTEGER",
    fallback: null,
    toText: (value) => value === null ? "" : String(value),
    fromText: (text) =>
      text === ""
        ? { value: null }
        : /^\d{1,16}$/.test(text) && Number.isSafeInteger(Number(text))
        ? { value: Number(text) }
        : { problem: "is not a whole number of bytes" },
    toSql: (value) => value === null ? null : Number(value),
    fromSql: (value) => value === null ? null : Number(value),
  },
};

/** The codec of `column`'s kind. */
export function kindOf(column: UserColumn): KindCodec {
  return KINDS[column.kind];
}

/**
 * A record from one value per column of a schema version: `valueOf` gives the value of each
 * column that version has; the later columns take their fallback.
 */
export function recordFrom(
  version: number,
  valueOf: (column: UserColumn) => FieldValue,
): UserRecord {
  const record: Record<string, FieldValue> = {};
  for (const column of USER_COLUMNS) {
    record[column.field] = column.since <= version ? valueOf(column) : kindOf(column).fallback;
  }
  return record as unknown as UserRecord;
}

/** The SQL that takes a `users` table from schema version `version - 1` to `version`. */
export function addColumnsSql(version: number): string {
  return USER_COLUMNS.filter((c) => c.since === version)
    .map((c) => `ALTER TABLE users ADD COLUMN ${c.column} ${KINDS[c.kind].sql};`)
    .join("\n");
}
