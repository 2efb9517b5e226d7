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
