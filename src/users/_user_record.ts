/**
 * Checks and copies of `UserRecord` values shared by every store, so all of them accept and
 * refuse exactly the same input.
 *
 * @module
 */
import { NotFoundError, StoreError } from "../errors.ts";
import type { UserRecord, UserUpdate } from "./user_store.ts";
import { validateUserName } from "./user_name.ts";

/** `Date.prototype.toISOString` output for years 0000–9999, milliseconds optional. */
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/** True when `value` is an ISO 8601 UTC timestamp naming a real instant. */
export function isTimestamp(value: string): boolean {
  if (!TIMESTAMP_PATTERN.test(value)) return false;
  const time = Date.parse(value);
  // Date.parse rolls "02-30" over to March; printing it back catches that.
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 19) === value.slice(0, 19);
}

/** Returns `value` when it is an ISO 8601 UTC timestamp. @throws {RangeError} otherwise. */
function checkTimestamp(value: unknown, field: string): string {
  if (typeof value !== "string" || !isTimestamp(value)) {
    throw new RangeError(
      `Cannot store user record: ${field} ${JSON.stringify(value)} is not an ISO 8601 UTC time`,
    );
  }
  return value;
}

/** Returns `value` when it is a string. @throws {TypeError} otherwise. */
function checkString(value: unknown, field: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot store user record: ${field} is not a string`);
  }
  return value;
}

/** Returns `value` when it is a boolean. @throws {TypeError} otherwise. */
function checkFlag(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(`Cannot store user record: ${field} is not a boolean`);
  }
  return value;
}

/** Returns `value` when it is null or a byte count. @throws {RangeError} otherwise. */
function checkQuota(value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `Cannot store user record: quota ${String(value)} is not a whole number of bytes`,
    );
  }
  return value;
}

/**
 * A checked copy of `record`.
 * @throws {InvalidNameError} for a bad name.
 * @throws {RangeError} for a malformed time.
 * @throws {TypeError} for a field of the wrong type.
 */
export function checkRecord(record: UserRecord): UserRecord {
  return {
    name: validateUserName(record.name),
    created: checkTimestamp(record.created, "created"),
    lastLogin: record.lastLogin === null ? null : checkTimestamp(record.lastLogin, "last_login"),
    kdf: checkString(record.kdf, "kdf"),
    verifier: checkString(record.verifier, "verifier"),
    temporaryPassword: checkFlag(record.temporaryPassword, "temporary_password"),
    appendOnly: checkFlag(record.appendOnly, "append_only"),
    quota: checkQuota(record.quota),
    disabled: checkFlag(record.disabled, "disabled"),
  };
}

/** A checked copy of `changes` holding only the fields it sets. @throws as `checkRecord`. */
export function checkUpdate(changes: UserUpdate): UserUpdate {
  const checked: UserUpdate = {};
  if (changes.kdf !== undefined) checked.kdf = checkString(changes.kdf, "kdf");
  if (changes.verifier !== undefined) checked.verifier = checkString(changes.verifier, "verifier");
  if (changes.temporaryPassword !== undefined) {
    checked.temporaryPassword = checkFlag(changes.temporaryPassword, "temporary_password");
  }
  if (changes.appendOnly !== undefined) {
    checked.appendOnly = checkFlag(changes.appendOnly, "append_only");
  }
  if (changes.quota !== undefined) checked.quota = checkQuota(changes.quota);
  if (changes.disabled !== undefined) checked.disabled = checkFlag(changes.disabled, "disabled");
  if (changes.lastLogin !== undefined) {
    checked.lastLogin = changes.lastLogin === null
      ? null
      : checkTimestamp(changes.lastLogin, "last_login");
  }
  return checked;
}

/** `record` with the checked `changes` applied, as a new object. */
export function applyUpdate(record: UserRecord, changes: UserUpdate): UserRecord {
  return { ...record, ...changes };
}

/** Orders names by UTF-16 code unit, the same order as SQLite's BINARY collation for ASCII. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The error for an update or remove of a name that is not there. */
export function missingUser(action: "update" | "remove", name: string): NotFoundError {
  return new NotFoundError(`Cannot ${action} user "${name}": no such user`);
}

/** The error for a call on a closed store. */
export function closedStore(label: string): StoreError {
  return new StoreError(`Cannot use user store ${label}: it is closed`);
}
