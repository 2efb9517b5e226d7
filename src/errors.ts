/**
 * Domain errors shared by every layer. Each carries a stable `code` that the protocol sends on
 * the wire and that `main.ts` maps to an exit code; built-in errors (TypeError, RangeError,
 * SyntaxError) stay for programming mistakes and unparsable input inside a layer.
 *
 * @module
 */

/** Stable error codes; they appear on the wire (docs/PROTOCOL.md) and never change meaning. */
export type ErrorCode =
  | "USAGE"
  | "INVALID_NAME"
  | "AUTH_FAILED"
  | "RATE_LIMITED"
  | "SIGNUP_DISABLED"
  | "PASSWORD_EXPIRED"
  | "APPEND_ONLY"
  | "QUOTA_EXCEEDED"
  | "USER_EXISTS"
  | "NOT_FOUND"
  | "PROTOCOL"
  | "UNSUPPORTED_VERSION"
  | "INTEGRITY"
  | "STORE"
  | "CONFIG"
  | "NETWORK"
  | "TLS"
  | "BUSY"
  | "CONFLICT"
  | "TIMEOUT"
  | "INCOMPLETE"
  | "INTERNAL";

/** Options shared by every domain error. */
export interface BurrowErrorOptions {
  cause?: unknown;
}

/** Base class of every domain error: a one-line message and a stable code. */
export class BurrowError extends Error {
  /** Stable code for the wire and for exit-code mapping. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: BurrowErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad command-line use: unknown flag, missing argument, conflicting options. */
export class UsageError extends BurrowError {
  constructor(message: string, options?: BurrowErrorOptions) {
    super("USAGE", message, options);
  }
}

/** A user, set or snapshot name that does not match its strict pattern. */
export class InvalidNameError extends BurrowError {
  constructor(message: string, options?: BurrowErrorOptions) {
    super("INVALID_NAME", message, options);
  }
}

/**
 * Login refused: wrong password, unknown user, rate limit or disabled signup; or an account that
 * must change its temporary password before it may do anything else.
 */
export class AuthError extends BurrowError {
  /** With RATE_LIMITED: how long the client should wait before trying again. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    code: "AUTH_FAILED" | "RATE_LIMITED" | "SIGNUP_DISABLED" | "PASSWORD_EXPIRED" = "AUTH_FAILED",
    options?: BurrowErrorOptions & { retryAfterMs?: number },
  ) {
    super(code, message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/**
 * A request that would remove or replace what an append-only account stored (forget, prune,
 * snapshot deletion, key replacement), refused by the server.
 */
export class AppendOnlyError extends BurrowError {
  /** @param action what was refused, e.g. "replace the repository key" */
  constructor(action: string, options?: BurrowErrorOptions) {
    super("APPEND_ONLY", `Cannot ${action}: account is append-only`, options);
  }
}

/** Chunks the server refused to store because the account's quota would be passed. */
export class QuotaExceededError extends BurrowError {
  constructor(message: string, options?: BurrowErrorOptions) {
    super("QUOTA_EXCEEDED", message, options);
  }
}

/** A peer broke the protocol: bad frame, unknown message, wrong state, unsupported version. */
export class ProtocolError extends BurrowError {
  constructor(
    message: string,
    code: "PROTOCOL" | "UNSUPPORTED_VERSION" = "PROTOCOL",
    options?: BurrowErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** Data that does not verify (bad MAC, wrong id, truncated object). */
export class IntegrityError extends BurrowError {
  constructor(message: string, options?: BurrowErrorOptions) {
    super("INTEGRITY", message, options);
  }
}

/** An add of a user name that is already taken. */
export class UserExistsError extends BurrowError {
  constructor(name: string, options?: BurrowErrorOptions) {
    super("USER_EXISTS", `Cannot add user "${name}": the name is taken`, options);
  }
}

/** A lookup of something that is not there (user, set, snapshot). */
export class NotFoundError extends BurrowError {
  constructor(message: string, options?: BurrowErrorOptions) {
    super("NOT_FOUND", message, options);
  }
}

/** A storage backend failed or holds unreadable data (broken CSV row, locked store). */
export class StoreError extends BurrowError {
  constructor(message: string, options?: BurrowErrorOptions) {
    super("STORE", message, options);
  }
}

/** Configuration that cannot work (bad STORE string, missing certificate file). */
export class ConfigError extends BurrowError {
  constructor(message: string, options?: BurrowErrorOptions) {
    super("CONFIG", message, options);
  }
}

/** The network failed: refused, reset, timed out, or the TLS handshake was refused. */
export class NetworkError extends BurrowError {
  constructor(
    message: string,
    code: "NETWORK" | "TLS" | "TIMEOUT" | "BUSY" = "NETWORK",
    options?: BurrowErrorOptions,
  ) {
    super(code, message, options);
  }
}

/**
 * A command that did its work but left something out (a push that skipped files it could not
 * read); what it did is saved. Local only: never sent on the wire.
 */
export class IncompleteError extends BurrowError {
  constructor(message: string, options?: BurrowErrorOptions) {
    super("INCOMPLETE", message, options);
  }
}

/** The message of any thrown value, for one-line reports. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
