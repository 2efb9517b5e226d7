/**
 * Errors across the wire: `toWireError` turns a thrown value into an `error` payload on the
 * server, and `errorFromWire` turns that payload back into the matching domain error.
 *
 * @module
 */
import {
  AuthError,
  BurrowError,
  type ErrorCode,
  IntegrityError,
  InvalidNameError,
  NotFoundError,
  ProtocolError,
} from "../errors.ts";
import { type ErrorPayload, MAX_ERROR_MESSAGE_LENGTH, MAX_RETRY_AFTER_MS } from "./payloads.ts";

/** Every error code, checked against `ErrorCode` by the compiler in both directions. */
const ERROR_CODE_SET = {
  USAGE: true,
  INVALID_NAME: true,
  AUTH_FAILED: true,
  RATE_LIMITED: true,
  SIGNUP_DISABLED: true,
  PASSWORD_EXPIRED: true,
  APPEND_ONLY: true,
  QUOTA_EXCEEDED: true,
  USER_EXISTS: true,
  NOT_FOUND: true,
  PROTOCOL: true,
  UNSUPPORTED_VERSION: true,
  INTEGRITY: true,
  STORE: true,
  CONFIG: true,
  NETWORK: true,
  TLS: true,
  BUSY: true,
  CONFLICT: true,
  TIMEOUT: true,
  INCOMPLETE: true,
  INTERNAL: true,
} as const satisfies Record<ErrorCode, true>;

/** Whether `code` is one of the stable error codes. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODE_SET, code);
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** `message` made safe for an `error` payload: one line, no control characters, ≤ 1024 chars. */
export function wireErrorMessage(message: string): string {
  let line = message.toWellFormed().replace(CONTROL, " ").trim();
  if (line.length > MAX_ERROR_MESSAGE_LENGTH) {
    line = `${line.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1).toWellFormed()}…`;
  }
  return line === "" ? "Cannot complete the request: unknown error" : line;
}

/**
 * The `error` payload for a thrown value: a BurrowError's code and message, or INTERNAL with a
 * generic message for anything else (internal details stay in the server's log).
 */
export function toWireError(error: unknown): ErrorPayload {
  if (error instanceof AuthError && error.retryAfterMs !== undefined) {
    const retryAfterMs = Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.ceil(error.retryAfterMs)));
    return { code: error.code, message: wireErrorMessage(error.message), retryAfterMs };
  }
  if (error instanceof BurrowError) {
    return { code: error.code, message: wireErrorMessage(error.message) };
  }
  return { code: "INTERNAL", message: "Cannot complete the request: internal server error" };
}

/**
 * The domain error a client throws for an `error` reply: AuthError (with `retryAfterMs`),
 * InvalidNameError, NotFoundError, ProtocolError or IntegrityError where one fits, else a
 * BurrowError with `code`. The message is passed through `wireErrorMessage`.
 * @returns a ProtocolError for an unknown `code` (the server broke the protocol); never throws
 */
export function errorFromWire(code: string, message: string, retryAfterMs?: number): BurrowError {
  const text = wireErrorMessage(message);
  if (!isErrorCode(code)) {
    const shown = JSON.stringify(code.length > 32 ? `${code.slice(0, 32)}…` : code);
    return new ProtocolError(`Cannot read error reply: unknown error code ${shown}`);
  }
  switch (code) {
    case "AUTH_FAILED":
    case "RATE_LIMITED":
    case "SIGNUP_DISABLED":
    case "PASSWORD_EXPIRED":
      return new AuthError(text, code, retryAfterMs === undefined ? {} : { retryAfterMs });
    case "INVALID_NAME":
      return new InvalidNameError(text);
    case "NOT_FOUND":
      return new NotFoundError(text);
    case "PROTOCOL":
    case "UNSUPPORTED_VERSION":
      return new ProtocolError(text, code);
    case "INTEGRITY":
      return new IntegrityError(text);
    default:
      return new BurrowError(code, text);
  }
}
