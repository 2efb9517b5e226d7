/**
 * What the page tells a person when something fails: one sentence that says what happened and
 * what to do, from the same domain errors the command line maps to exit codes.
 *
 * @module
 */
import { AuthError, BurrowError, errorMessage, NetworkError } from "../errors.ts";

/** The sentence for a failed login. */
export function loginFailureText(error: unknown): string {
  if (error instanceof AuthError) {
    switch (error.code) {
      case "AUTH_FAILED":
        return "Wrong user name or password.";
      case "RATE_LIMITED": {
        const wait = error.retryAfterMs === undefined
          ? "a few minutes"
          : waitText(error.retryAfterMs);
        return `Too many login attempts for this account or address: try again in ${wait}.`;
      }
      case "PASSWORD_EXPIRED":
        return "This password is temporary: set your own with burrow passwd, then log in here.";
      default:
        return error.message;
    }
  }
  return failureText(error);
}

/** The sentence for any other failure. */
export function failureText(error: unknown): string {
  if (error instanceof NetworkError) {
    return error.code === "BUSY"
      ? "The server is busy: try again in a moment."
      : "Cannot reach the burrow server: it may have stopped. Try again once it runs.";
  }
  if (error instanceof BurrowError) return error.message;
  return errorMessage(error);
}

/** Whether a failure means the connection is gone (the page must log in again). */
export function connectionLost(error: unknown): boolean {
  return error instanceof NetworkError;
}

function waitText(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 90) return `${seconds} s`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
