/**
 * What a new password must be, and what a temporary one allows. The server never sees a
 * password (only a key derived from it), so the length is checked where the password is set: by
 * the client, against the minimum the server announces (`hello_ok.minPasswordLength`), and by
 * `useradd` against burrow's default. An account whose password an administrator set as
 * temporary may log in, but the server refuses it everything but changing the password.
 *
 * @module
 */
import { AuthError, UsageError } from "../errors.ts";

/** The shortest password accepted unless `serve --min-password-length` says otherwise. */
export const DEFAULT_MIN_PASSWORD_LENGTH = 8;
/** The largest minimum a server may ask for (a password holds at most 1024 bytes). */
export const MAX_MIN_PASSWORD_LENGTH = 1024;

/** The length of `password` in characters (Unicode code points, not bytes or UTF-16 units). */
export function passwordLength(password: string): number {
  let length = 0;
  for (const _ of password) length++;
  return length;
}

/**
 * Returns `password` when it has at least `min` characters.
 * @param whose who asks for the minimum, for the message (e.g. "this server asks for")
 * @throws {UsageError} "Cannot use this password: it has N characters; … at least MIN"
 */
export function checkNewPassword(password: string, min: number, whose?: string): string {
  const length = passwordLength(password);
  if (length < min) {
    const rule = whose === undefined ? `at least ${min} are needed` : `${whose} at least ${min}`;
    throw new UsageError(`Cannot use this password: it has ${length} characters; ${rule}`);
  }
  return password;
}

/**
 * The refusal of every request but a password change from an account whose password is
 * temporary; the server sends it, and a client shows it as it is.
 */
export function temporaryPasswordRefusal(): AuthError {
  return new AuthError(
    "Cannot use this account yet: its password was set by an administrator; choose your own with burrow passwd",
    "PASSWORD_EXPIRED",
  );
}
