/**
 * The CSV form of a user table: a header row naming the columns of its schema version (see
 * `_user_columns.ts`; version 1 is `name,created,last_login,kdf,verifier`), then one row per user.
 * An empty `last_login` or `quota` means null; flags are `true` or `false`. Decoding accepts the header of
 * any version up to the current one (later columns take their fallback), checks every row and
 * names the 1-based line of the first bad one; encoding always writes the current version.
 *
 * @module
 */
import { CsvError, parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { StoreError } from "../errors.ts";
import type { UserRecord } from "./user_store.ts";
import { USER_NAME_PATTERN } from "./user_name.ts";
import {
  columnsOf,
  kindOf,
  recordFrom,
  type UserColumn,
  USERS_SCHEMA_VERSION,
} from "./_user_columns.ts";

/** The header row of the current schema version, in column order. */
export const CSV_HEADER: readonly string[] = columnsOf(USERS_SCHEMA_VERSION).map((c) => c.column);

/** The records of a CSV file and the schema version its header names. */
export interface DecodedUsers {
  records: UserRecord[];
  /** The schema version of the header (the current one for an empty file). */
  version: number;
}

/** A record as csv-parse returns it with `info: true`. */
interface ParsedRecord {
  record: string[];
  info: { lines: number; empty_lines: number };
}

/** One parsed row and the line it starts on. */
interface Row {
  fields: string[];
  line: number;
}

/** The CSV text for `records` in the current schema version, in the given order. */
export function encodeUsersCsv(records: readonly UserRecord[]): string {
  const columns = columnsOf(USERS_SCHEMA_VERSION);
  const rows = records.map((r) => columns.map((c) => kindOf(c).toText(r[c.field])));
  return stringify([[...CSV_HEADER], ...rows]);
}

/**
 * The records in `text`; empty text is an empty table.
 * @param label the file name to quote in errors.
 * @throws {StoreError} `Cannot read user store "LABEL": line N: …` for the first bad line.
 */
export function decodeUsersCsv(text: string, label: string): DecodedUsers {
  const rows = parseRows(text, label);
  const [header, ...body] = rows;
  if (header === undefined) return { records: [], version: USERS_SCHEMA_VERSION };
  const version = headerVersion(header.fields);
  if (version === undefined) {
    throw badLine(
      label,
      header.line,
      `expected header "${CSV_HEADER.join(",")}", found ${quote(header.fields.join(","))}`,
    );
  }
  const columns = columnsOf(version);
  const firstLine = new Map<string, number>();
  const records = body.map((row) => {
    const record = decodeRow(row, columns, version, label);
    const seen = firstLine.get(record.name);
    if (seen !== undefined) {
      throw badLine(
        label,
        row.line,
        `duplicate user name "${record.name}" (first on line ${seen})`,
      );
    }
    firstLine.set(record.name, row.line);
    return record;
  });
  return { records, version };
}

/** The schema version whose columns `fields` names, or undefined for none. */
function headerVersion(fields: readonly string[]): number | undefined {
  for (let version = USERS_SCHEMA_VERSION; version >= 1; version--) {
    if (columnsOf(version).map((c) => c.column).join(",") === fields.join(",")) return version;
  }
  return undefined;
}

/** The rows of `text` with their start lines. @throws {StoreError} for text that is not CSV. */
function parseRows(text: string, label: string): Row[] {
  let parsed: ParsedRecord[];
  try {
    // With `info: true` csv-parse returns records with their position; its typings miss that.
    parsed = parse(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ["\r\n", "\n"],
    }) as unknown as ParsedRecord[];
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = (error as CsvError & { lines?: number }).lines ?? 0;
    throw badLine(label, line, describeCsvError(error.code), error);
  }
  // csv-parse reports the line a record ends on; a row starts after the previous one and after
  // the blank lines skipped in between.
  let previousEnd = 0;
  let previousEmpty = 0;
  return parsed.map(({ record, info }) => {
    const line = previousEnd + 1 + (info.empty_lines - previousEmpty);
    previousEnd = info.lines;
    previousEmpty = info.empty_lines;
    return { fields: record, line };
  });
}

/** One checked record from `row`, whose fields are `columns` of schema version `version`. */
function decodeRow(
  { fields, line }: Row,
  columns: readonly UserColumn[],
  version: number,
  label: string,
): UserRecord {
  if (fields.length !== columns.length) {
    throw badLine(label, line, `expected ${columns.length} fields, found ${fields.length}`);
  }
  const name = fields[0] ?? "";
  if (!USER_NAME_PATTERN.test(name)) {
    throw badLine(label, line, `invalid user name ${quote(name)}`);
  }
  return recordFrom(version, (column) => {
    const text = fields[columns.indexOf(column)] ?? "";
    const decoded = kindOf(column).fromText(text);
    if ("problem" in decoded) {
      throw badLine(label, line, `${column.column} ${quote(text)} ${decoded.problem}`);
    }
    return decoded.value;
  });
}

/** A short phrase for a csv-parse error code. */
function describeCsvError(code: string): string {
  switch (code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return "quote not closed";
    case "CSV_INVALID_CLOSING_QUOTE":
      return "unexpected character after a closing quote";
    case "INVALID_OPENING_QUOTE":
      return "quote inside an unquoted field";
    default:
      return `not valid CSV (${code})`;
  }
}

/** `value` as a JSON string, shortened so a huge field cannot flood a log line. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

function badLine(label: string, line: number, problem: string, cause?: unknown): StoreError {
  return new StoreError(
    `Cannot read user store "${label}": line ${line}: ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}
