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

/**
 * `hello_ok`: the version the server chose, whether it accepts `signup`, and the shortest
 * password it wants set (the client checks it: the server never sees a password).
 */
export interface HelloOkPayload {
  protocol: number;
  /** Server software and version; 1–64 characters. */
  server: string;
  signup: boolean;
  /** Fewest characters (Unicode code points) of a new password, 1–`MAX_MIN_PASSWORD_LENGTH`. */
  minPasswordLength: number;
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
  /** The repository master key wrapped by the new password's key, when the user has one. */
  wrappedKey?: Uint8Array;
}

/** `list_snapshots` (logged in): every sealed snapshot record of the user. Always `{}`. */
export type ListSnapshotsPayload = Record<string, never>;

/** One snapshot in a `snapshots` reply: its id and its sealed record (opaque to the server). */
export interface SnapshotInfo {
  /** 16 lowercase hex characters. */
  id: string;
  /** The sealed record, 1–`MAX_SNAPSHOT_RECORD` bytes. */
  record: Uint8Array;
}

/** A snapshot whose record the server could not send, and why (a short reason, no paths). */
export interface UnreadableSnapshotInfo {
  /** 16 lowercase hex characters. */
  id: string;
  /** 1–`MAX_REASON_LENGTH` characters. */
  reason: string;
}

/** `snapshots`: the reply to `list_snapshots`, 0–100000 entries in all. */
export interface SnapshotsPayload {
  snapshots: SnapshotInfo[];
  /** Records that could not be read (an empty or oversized file, an I/O error); absent if none. */
  unreadable?: UnreadableSnapshotInfo[];
  /** Chunks the server knows are missing or damaged in this repository; absent when none. */
  damagedChunks?: number;
}

/** `get_key` (logged in): asks for the user's wrapped master key. Always `{}`. */
export type GetKeyPayload = Record<string, never>;

/** `key`: the wrapped master key, absent when the user has none yet. */
export interface KeyPayload {
  wrapped?: Uint8Array;
}

/** `put_key` (logged in): stores the wrapped master key of a new repository (once). */
export interface PutKeyPayload {
  wrapped: Uint8Array;
}

/** `list_chunks` (logged in): chunk ids the server holds, after the id `after` (paging). */
export interface ListChunksPayload {
  after?: Uint8Array;
}

/** `chunk_ids` (binary): a page of chunk ids in ascending byte order, and whether more follow. */
export interface ChunkIdsPayload {
  /** Concatenated 32-byte ids. */
  ids: Uint8Array;
  more: boolean;
}

/** One sealed blob and its chunk id. */
export interface IdentifiedBlob {
  /** 32 bytes. */
  id: Uint8Array;
  /** `MIN_BLOB_LENGTH`–`MAX_BLOB_LENGTH` bytes, opaque to the server. */
  blob: Uint8Array;
}

/** `put_chunks` (binary): sealed blobs to store; ids the server has are skipped. */
export interface PutChunksPayload {
  blobs: IdentifiedBlob[];
}

/** `put_ok`: how many of the blobs were new, and their bytes. */
export interface PutOkPayload {
  stored: number;
  bytes: number;
}

/** `get_chunks` (binary): chunk ids to fetch, 1–`MAX_GET_CHUNKS`. */
export interface GetChunksPayload {
  ids: Uint8Array[];
}

/**
 * `report_damaged` (binary): chunk ids whose blobs the client found damaged (they did not open or
 * verify), 1–`MAX_GET_CHUNKS`; the server sets them aside so the next push stores them again.
 */
export interface ReportDamagedPayload {
  ids: Uint8Array[];
}

/** `damage_noted`: the reply to `report_damaged`: how many of the ids the server set aside. */
export interface DamageNotedPayload {
  setAside: number;
}

/**
 * `chunks` (binary): the blobs of a prefix of the asked ids, in order (as many as fit in one
 * frame), and the asked ids the server does not have.
 */
export interface ChunksPayload {
  blobs: IdentifiedBlob[];
  missing: Uint8Array[];
}

/**
 * `commit_snapshot` (logged in): makes every blob stored so far durable, then stores the sealed
 * snapshot record atomically.
 */
export interface CommitSnapshotPayload {
  /** 16 lowercase hex characters, new for this user. */
  id: string;
  record: Uint8Array;
  /**
   * How many files the push found new, changed and gone since its parent, for the server's one
   * log line per push (the record itself is sealed); each optional.
   */
  filesNew?: number;
  filesChanged?: number;
  filesRemoved?: number;
}

/** `stream_ticket` (logged in): asks for a ticket that opens chunk streams. Always `{}`. */
export type StreamTicketPayload = Record<string, never>;

/**
 * `stream_ticket_ok`: a ticket with which another connection logs in as this user to fetch
 * chunks (`ticket_login`), valid while this connection stays logged in.
 */
export interface StreamTicketOkPayload {
  /** Exactly `STREAM_TICKET_LENGTH` random bytes. */
  ticket: Uint8Array;
}

/**
 * `ticket_login` (instead of `login_start`): logs in with a ticket from `stream_ticket_ok`; the
 * connection may then only fetch chunks. Answered with `login_ok`.
 */
export interface TicketLoginPayload {
  ticket: Uint8Array;
}

/** `forget_snapshots` (logged in): removes these snapshot records; every id must exist. */
export interface ForgetSnapshotsPayload {
  /** 1–`MAX_FORGET_IDS` ids, 16 lowercase hex characters each. */
  ids: string[];
}

/**
 * `prune_begin` (logged in): takes the repository's prune lock for this session (waiting for
 * running pushes; new pushes are refused until the prune ends), before the client reads the
 * snapshot list. Always `{}`.
 */
export type PruneBeginPayload = Record<string, never>;

/** `prune_live` (binary): the next part of the live chunk ids, ascending, above every earlier one. */
export interface PruneLivePayload {
  /** Concatenated 32-byte ids, at least one. */
  ids: Uint8Array;
}

/** `prune_run`: prunes with the live ids sent since `prune_begin`, then lets go of the lock. */
export interface PruneRunPayload {
  /** Largest unused share of a pack (whole percent, 0–100) that is left as it is. */
  maxUnused: number;
  dryRun: boolean;
}

/** `pruned`: what the prune did (for a dry run, would do; the `…After` fields are estimates). */
export interface PrunedPayload {
  packsBefore: number;
  bytesBefore: number;
  packsAfter: number;
  bytesAfter: number;
  packsDeleted: number;
  packsRewritten: number;
  blobsRemoved: number;
  unusedBytesKept: number;
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
  stream_ticket: StreamTicketPayload;
  stream_ticket_ok: StreamTicketOkPayload;
  ticket_login: TicketLoginPayload;
  list_snapshots: ListSnapshotsPayload;
  snapshots: SnapshotsPayload;
  get_key: GetKeyPayload;
  key: KeyPayload;
  put_key: PutKeyPayload;
  list_chunks: ListChunksPayload;
  chunk_ids: ChunkIdsPayload;
  put_chunks: PutChunksPayload;
  put_ok: PutOkPayload;
  get_chunks: GetChunksPayload;
  chunks: ChunksPayload;
  commit_snapshot: CommitSnapshotPayload;
  report_damaged: ReportDamagedPayload;
  damage_noted: DamageNotedPayload;
  forget_snapshots: ForgetSnapshotsPayload;
  prune_begin: PruneBeginPayload;
  prune_live: PruneLivePayload;
  prune_run: PruneRunPayload;
  pruned: PrunedPayload;
}

/** Bytes of a stream ticket. */
export const STREAM_TICKET_LENGTH = 32;
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
/** Most characters of the reason given for an unreadable snapshot record. */
export const MAX_REASON_LENGTH = 256;
/** Most entries of a `snapshots` reply. */
export const MAX_SNAPSHOTS = 100_000;
/** Most protocol versions a `hello` may offer. */
export const MAX_OFFERED_PROTOCOLS = 8;
/** Largest `minPasswordLength` a server may announce. */
export const MAX_MIN_PASSWORD_LENGTH = 1024;
/** Largest `retryAfterMs`: one day. */
export const MAX_RETRY_AFTER_MS = 86_400_000;
/** Bytes of a chunk id. */
export const CHUNK_ID_LENGTH = 32;
/** Bytes of a wrapped master key. */
export const WRAPPED_KEY_LENGTH = 65;
/** Smallest sealed blob: header and tag around an empty payload. */
export const MIN_BLOB_LENGTH = 46;
/** Largest sealed blob: an 8 MiB chunk with its header and tag. */
export const MAX_BLOB_LENGTH = 8 * 1024 * 1024 + 64;
/** Largest sealed snapshot record. */
export const MAX_SNAPSHOT_RECORD = 256 * 1024;
/** Most snapshot ids one `forget_snapshots` may name. */
export const MAX_FORGET_IDS = 1000;
/** Most ids one `get_chunks` may ask for. */
export const MAX_GET_CHUNKS = 1024;
/** Most blobs in one `put_chunks` or `chunks` frame. */
export const MAX_BLOBS_PER_FRAME = 65_536;
