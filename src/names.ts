/**
 * Name validation shared by every layer: user names (and later set names and snapshot ids) are
 * checked against one strict pattern before they touch a path, a query or the wire.
 *
 * @module
 */
import { InvalidNameError } from "./errors.ts";

/** Letters, digits, `.`, `_`, `-`; starts with a letter or digit; 1–64 characters. */
export const USER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Returns `name` unchanged when valid. @throws {InvalidNameError} otherwise, quoting it safely. */
export function validateUserName(name: string): string {
  if (!USER_NAME_PATTERN.test(name)) {
    throw new InvalidNameError(
      `Invalid user name ${
        quoteName(name)
      }: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  return name;
}

/** A bounded, escaped rendering of untrusted text for an error message. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}

/**
 * Set names live only inside sealed snapshot records (never in a server path), so they may hold
 * spaces and any letters: 1–128 characters, no control characters, no `/` or `\`, no leading or
 * trailing space. The default set is the base name of the pushed path.
 */
export const SET_NAME_PATTERN = /^(?![\s])[^\p{Cc}/\\]{1,128}(?<![\s])$/u;

/** Returns `name` unchanged when it is a valid set name. @throws {InvalidNameError} */
export function validateSetName(name: string): string {
  if (!SET_NAME_PATTERN.test(name)) {
    throw new InvalidNameError(
      `Invalid set name ${
        quoteName(name)
      }: use 1-128 characters without "/", "\\" or control characters`,
    );
  }
  return name;
}

/** Snapshot ids are 16 lowercase hex characters. */
export const SNAPSHOT_ID_PATTERN = /^[0-9a-f]{16}$/;

/** Returns `id` unchanged when it is a valid snapshot id. @throws {InvalidNameError} */
export function validateSnapshotId(id: string): string {
  if (!SNAPSHOT_ID_PATTERN.test(id)) {
    throw new InvalidNameError(`Invalid snapshot id ${quoteName(id)}: expected 16 hex characters`);
  }
  return id;
}
