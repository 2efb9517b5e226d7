/**
 * The typed payload of every message. Control payloads travel as UTF-8 JSON objects; byte
 * fields (`Uint8Array` here) travel as canonical padded base64 strings.
 *
 * @module
 */
import type { ErrorCode } from "../errors.ts";

/** `hello` (client, first frame): the protocol versions the client speaks, and its name. */
export interface HelloPayload {
  /** 1–8 supported versions, each 1–65535, preferred first. */
  protocol: number[];
  /** Client software and version, e.g. "burrow/0.1.0"; 1–64 characters. */
  client: string;
}

/** `hello_ok`: the version the server chose and whether it accepts `signup`. */
export interface HelloOkPayload {
  protocol: number;
  /** Server software and version; 1–64 characters. */
  server: string;
  signup: boolean;
}

/** `error`: the reply to any request that failed. */
export interface ErrorPayload {
  code: ErrorCode;
  /** One line, 1–1024 characters, no control characters. */
  message: string;
  /** For RATE_LIMITED (and BUSY): when to try again, 0–86400000 ms. */
  retryAfterMs?: number;
}

/** `ok`: the reply to a request that has nothing to return. Always `{}`. */
export type OkPayload = Record<string, never>;

/** `login_start`: the user who wants to log in. */
export interface LoginStartPayload {
  user: string;
}

/** `login_challenge`: the user's client KDF string (a stable fake one for unknown users). */
export interface LoginChallengePayload {
  /** e.g. `$argon2id$v=19$m=19456,t=2,p=1$<salt>`; printable ASCII, 1–256 characters. */
  kdf: string;
}

/** `login_proof`: the auth key the client derived from the password. */
export interface LoginProofPayload {
  /** Exactly 32 bytes. */
  authKey: Uint8Array;
}

/** `login_ok`: the logged-in user. */
export interface LoginOkPayload {
  user: string;
}

/** `signup`: a new account, when the server allows it. */
export interface SignupPayload {
  user: string;
  kdf: string;
  /** Exactly 32 bytes. */
  authKey: Uint8Array;
}

/** `signup_ok`: the created user (not logged in: the client logs in next, as usual). */
export interface SignupOkPayload {
  user: string;
}

/** `change_password` (logged in): the new KDF string and auth key. */
export interface ChangePasswordPayload {
  kdf: string;
  /** Exactly 32 bytes. */
  authKey: Uint8Array;
}

/** `list_snapshots` (logged in): all of the user's snapshots, or those of one set. */
export interface ListSnapshotsPayload {
  set?: string;
}

/** One snapshot in a `snapshots` reply. */
export interface SnapshotInfo {
  id: string;
  set: string;
  /** RFC 3339 time, e.g. "2025-01-31T12:00:00.000Z". */
  time: string;
  host: string;
  files: number;
  bytes: number;
}

/** `snapshots`: the reply to `list_snapshots`, 0–100000 entries. */
export interface SnapshotsPayload {
  snapshots: SnapshotInfo[];
}

/** The payload type of each message name. */
export interface Payloads {
  hello: HelloPayload;
  hello_ok: HelloOkPayload;
  error: ErrorPayload;
  ok: OkPayload;
  login_start: LoginStartPayload;
  login_challenge: LoginChallengePayload;
  login_proof: LoginProofPayload;
  login_ok: LoginOkPayload;
  signup: SignupPayload;
  signup_ok: SignupOkPayload;
  change_password: ChangePasswordPayload;
  list_snapshots: ListSnapshotsPayload;
  snapshots: SnapshotsPayload;
}

/** Bytes of an auth key. */
export const AUTH_KEY_LENGTH = 32;
/** Most characters of a user, set, snapshot id or host name on the wire (stricter patterns are the server's). */
export const MAX_NAME_LENGTH = 256;
/** Most characters of a `client` or `server` software name. */
export const MAX_SOFTWARE_LENGTH = 64;
/** Most characters of a KDF string. */
export const MAX_KDF_LENGTH = 256;
/** Most characters of an error message. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024;
/** Most entries of a `snapshots` reply. */
export const MAX_SNAPSHOTS = 100_000;
/** Most protocol versions a `hello` may offer. */
export const MAX_OFFERED_PROTOCOLS = 8;
/** Largest `retryAfterMs`: one day. */
export const MAX_RETRY_AFTER_MS = 86_400_000;
