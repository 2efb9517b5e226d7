/**
 * The CSV form of a user table: a header row `name,created,last_login,kdf,verifier`, then one
 * row per user; an empty `last_login` means null. Decoding checks every row and names the
 * 1-based line of the first bad one.
 *
 * @module
 */
import { CsvError, parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { StoreError } from "../errors.ts";
import type { UserRecord } from "./user_store.ts";
import { USER_NAME_PATTERN } from "./user_name.ts";
import { isTimestamp } from "./_user_record.ts";

/** The header row, in column order. */
export const CSV_HEADER = ["name", "created", "last_login", "kdf", "verifier"] as const;

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

/** The CSV text for `records`, in the given order. */
export function encodeUsersCsv(records: readonly UserRecord[]): string {
  const rows = records.map((r) => [r.name, r.created, r.lastLogin ?? "", r.kdf, r.verifier]);
  return stringify([[...CSV_HEADER], ...rows]);
}

/**
 * The records in `text`; empty text is an empty table.
 * @param label the file name to quote in errors.
 * @throws {StoreError} `Cannot read user store "LABEL": line N: …` for the first bad line.
 */
export function decodeUsersCsv(text: string, label: string): UserRecord[] {
  const rows = parseRows(text, label);
  const [header, ...body] = rows;
  if (header === undefined) return [];
  if (header.fields.join(",") !== CSV_HEADER.join(",")) {
    throw badLine(
      label,
      header.line,
      `expected header "${CSV_HEADER.join(",")}", found ${quote(header.fields.join(","))}`,
    );
  }
  const firstLine = new Map<string, number>();
  return body.map((row) => {
    const record = decodeRow(row, label);
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

/** One checked record from `row`. */
function decodeRow({ fields, line }: Row, label: string): UserRecord {
  if (fields.length !== CSV_HEADER.length) {
    throw badLine(label, line, `expected ${CSV_HEADER.length} fields, found ${fields.length}`);
  }
  const [name = "", created = "", lastLogin = "", kdf = "", verifier = ""] = fields;
  if (!USER_NAME_PATTERN.test(name)) {
    throw badLine(label, line, `invalid user name ${quote(name)}`);
  }
  if (!isTimestamp(created)) {
    throw badLine(label, line, `created ${quote(created)} is not an ISO 8601 UTC time`);
  }
  if (lastLogin !== "" && !isTimestamp(lastLogin)) {
    throw badLine(
      label,
      line,
      `last_login ${quote(lastLogin)} is not an ISO 8601 UTC time`,
    );
  }
  return { name, created, lastLogin: lastLogin === "" ? null : lastLogin, kdf, verifier };
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
