/**
 * One strict reader per message: it takes the parsed JSON value and returns the typed payload,
 * or throws a ProtocolError naming the message and the field.
 *
 * @module
 */
import { FieldReader, type StringSpec } from "./_fields.ts";
import type { MessageName } from "./message_type.ts";
import { isErrorCode } from "./wire_error.ts";
import {
  AUTH_KEY_LENGTH,
  CHUNK_ID_LENGTH,
  type ErrorPayload,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_FORGET_IDS,
  MAX_GET_CHUNKS,
  MAX_KDF_LENGTH,
  MAX_MIN_PASSWORD_LENGTH,
  MAX_NAME_LENGTH,
  MAX_OFFERED_PROTOCOLS,
  MAX_REASON_LENGTH,
  MAX_RETRY_AFTER_MS,
  MAX_SNAPSHOT_RECORD,
  MAX_SNAPSHOTS,
  MAX_SOFTWARE_LENGTH,
  type Payloads,
  type SnapshotInfo,
  type SnapshotsPayload,
  STREAM_TICKET_LENGTH,
  type UnreadableSnapshotInfo,
  WRAPPED_KEY_LENGTH,
} from "./payloads.ts";

const NAME: StringSpec = { max: MAX_NAME_LENGTH };
const SOFTWARE: StringSpec = { max: MAX_SOFTWARE_LENGTH };
const KDF: StringSpec = {
  max: MAX_KDF_LENGTH,
  pattern: { regex: /^[\x21-\x7e]+$/, hint: "printable ASCII without spaces" },
};
const MESSAGE: StringSpec = { max: MAX_ERROR_MESSAGE_LENGTH };
const REASON: StringSpec = { max: MAX_REASON_LENGTH };
const SNAPSHOT_ID: StringSpec = {
  max: 16,
  pattern: { regex: /^[0-9a-f]{16}$/, hint: "16 lowercase hex characters" },
};
const VERSION_MAX = 0xffff;

type Reader<K extends MessageName> = (value: unknown) => Payloads[K];

function readError(value: unknown): ErrorPayload {
  const r = new FieldReader("error", "", value, ["code", "message", "retryAfterMs"]);
  const code = r.string("code", { max: 32 });
  if (!isErrorCode(code)) throw r.fail("code", "must be a known error code");
  const message = r.string("message", MESSAGE);
  if (!r.has("retryAfterMs")) return { code, message };
  return { code, message, retryAfterMs: r.integer("retryAfterMs", 0, MAX_RETRY_AFTER_MS) };
}

function readSnapshotInfo(value: unknown, path: string): SnapshotInfo {
  const r = new FieldReader("snapshots", path, value, ["id", "record"]);
  return {
    id: r.string("id", SNAPSHOT_ID),
    record: r.bytesBetween("record", 1, MAX_SNAPSHOT_RECORD),
  };
}

function readUnreadableSnapshot(value: unknown, path: string): UnreadableSnapshotInfo {
  const r = new FieldReader("snapshots", path, value, ["id", "reason"]);
  return { id: r.string("id", SNAPSHOT_ID), reason: r.string("reason", REASON) };
}

function readSnapshots(value: unknown): SnapshotsPayload {
  const r = new FieldReader("snapshots", "", value, ["snapshots", "unreadable", "damagedChunks"]);
  const payload: SnapshotsPayload = {
    snapshots: r.array("snapshots", 0, MAX_SNAPSHOTS, readSnapshotInfo),
  };
  if (r.has("unreadable")) {
    const max = MAX_SNAPSHOTS - payload.snapshots.length;
    payload.unreadable = r.array("unreadable", 1, max, readUnreadableSnapshot);
  }
  if (r.has("damagedChunks")) {
    payload.damagedChunks = r.integer("damagedChunks", 1, Number.MAX_SAFE_INTEGER);
  }
  return payload;
}

/** A reader for a message whose payload is always `{}`. */
function empty<K extends MessageName>(name: K): Reader<K> {
  return (value) => {
    new FieldReader(name, "", value, []);
    return {} as Payloads[K];
  };
}

/** Binary messages have no JSON reader: `messages.ts` sends them to their codecs instead. */
function binary<K extends MessageName>(name: K): Reader<K> {
  return () => {
    throw new TypeError(`Cannot read "${name}" as JSON: it is a binary message`);
  };
}

/** The reader of each message. */
export const READERS: { readonly [K in MessageName]: Reader<K> } = {
  hello(value) {
    const r = new FieldReader("hello", "", value, ["protocol", "client"]);
    const protocol = r.array("protocol", 1, MAX_OFFERED_PROTOCOLS, (item, path) => {
      if (typeof item === "number" && Number.isInteger(item) && item >= 1 && item <= VERSION_MAX) {
        return item;
      }
      throw r.elementError(path, `must be an integer in 1-${VERSION_MAX}`);
    });
    return { protocol, client: r.string("client", SOFTWARE) };
  },
  hello_ok(value) {
    const fields = ["protocol", "server", "signup", "minPasswordLength"];
    const r = new FieldReader("hello_ok", "", value, fields);
    return {
      protocol: r.integer("protocol", 1, VERSION_MAX),
      server: r.string("server", SOFTWARE),
      signup: r.boolean("signup"),
      minPasswordLength: r.integer("minPasswordLength", 1, MAX_MIN_PASSWORD_LENGTH),
    };
  },
  error: readError,
  ok: empty("ok"),
  login_start(value) {
    return { user: new FieldReader("login_start", "", value, ["user"]).string("user", NAME) };
  },
  login_challenge(value) {
    return { kdf: new FieldReader("login_challenge", "", value, ["kdf"]).string("kdf", KDF) };
  },
  login_proof(value) {
    const r = new FieldReader("login_proof", "", value, ["authKey"]);
    return { authKey: r.bytes("authKey", AUTH_KEY_LENGTH) };
  },
  login_ok(value) {
    return { user: new FieldReader("login_ok", "", value, ["user"]).string("user", NAME) };
  },
  signup(value) {
    const r = new FieldReader("signup", "", value, ["user", "kdf", "authKey"]);
    return {
      user: r.string("user", NAME),
      kdf: r.string("kdf", KDF),
      authKey: r.bytes("authKey", AUTH_KEY_LENGTH),
    };
  },
  signup_ok(value) {
    return { user: new FieldReader("signup_ok", "", value, ["user"]).string("user", NAME) };
  },
  change_password(value) {
    const r = new FieldReader("change_password", "", value, ["kdf", "authKey", "wrappedKey"]);
    const kdf = r.string("kdf", KDF);
    const authKey = r.bytes("authKey", AUTH_KEY_LENGTH);
    if (!r.has("wrappedKey")) return { kdf, authKey };
    return { kdf, authKey, wrappedKey: r.bytes("wrappedKey", WRAPPED_KEY_LENGTH) };
  },
  stream_ticket: empty("stream_ticket"),
  stream_ticket_ok(value) {
    const r = new FieldReader("stream_ticket_ok", "", value, ["ticket"]);
    return { ticket: r.bytes("ticket", STREAM_TICKET_LENGTH) };
  },
  ticket_login(value) {
    const r = new FieldReader("ticket_login", "", value, ["ticket"]);
    return { ticket: r.bytes("ticket", STREAM_TICKET_LENGTH) };
  },
  list_snapshots: empty("list_snapshots"),
  snapshots: readSnapshots,
  get_key: empty("get_key"),
  key(value) {
    const r = new FieldReader("key", "", value, ["wrapped"]);
    return r.has("wrapped") ? { wrapped: r.bytes("wrapped", WRAPPED_KEY_LENGTH) } : {};
  },
  put_key(value) {
    const r = new FieldReader("put_key", "", value, ["wrapped"]);
    return { wrapped: r.bytes("wrapped", WRAPPED_KEY_LENGTH) };
  },
  list_chunks(value) {
    const r = new FieldReader("list_chunks", "", value, ["after"]);
    return r.has("after") ? { after: r.bytes("after", CHUNK_ID_LENGTH) } : {};
  },
  chunk_ids: binary("chunk_ids"),
  put_chunks: binary("put_chunks"),
  put_ok(value) {
    const r = new FieldReader("put_ok", "", value, ["stored", "bytes"]);
    return {
      stored: r.integer("stored", 0, Number.MAX_SAFE_INTEGER),
      bytes: r.integer("bytes", 0, Number.MAX_SAFE_INTEGER),
    };
  },
  get_chunks: binary("get_chunks"),
  report_damaged: binary("report_damaged"),
  damage_noted(value) {
    const r = new FieldReader("damage_noted", "", value, ["setAside"]);
    return { setAside: r.integer("setAside", 0, MAX_GET_CHUNKS) };
  },
  chunks: binary("chunks"),
  forget_snapshots(value) {
    const r = new FieldReader("forget_snapshots", "", value, ["ids"]);
    return {
      ids: r.array("ids", 1, MAX_FORGET_IDS, (item, path) => {
        if (typeof item === "string" && SNAPSHOT_ID.pattern!.regex.test(item)) return item;
        throw r.elementError(path, "must be 16 lowercase hex characters");
      }),
    };
  },
  prune_begin: empty("prune_begin"),
  prune_live: binary("prune_live"),
  prune_run(value) {
    const r = new FieldReader("prune_run", "", value, ["maxUnused", "dryRun"]);
    const maxUnused = r.integer("maxUnused", 0, 100);
    return { maxUnused, dryRun: r.boolean("dryRun") };
  },
  pruned(value) {
    const fields = [
      "packsBefore",
      "bytesBefore",
      "packsAfter",
      "bytesAfter",
      "packsDeleted",
      "packsRewritten",
      "blobsRemoved",
      "unusedBytesKept",
    ] as const;
    const r = new FieldReader("pruned", "", value, [...fields]);
    const payload = {} as Record<(typeof fields)[number], number>;
    for (const field of fields) payload[field] = r.integer(field, 0, Number.MAX_SAFE_INTEGER);
    return payload;
  },
  commit_snapshot(value) {
    const counts = ["filesNew", "filesChanged", "filesRemoved"] as const;
    const r = new FieldReader("commit_snapshot", "", value, ["id", "record", ...counts]);
    const payload: Payloads["commit_snapshot"] = {
      id: r.string("id", SNAPSHOT_ID),
      record: r.bytesBetween("record", 1, MAX_SNAPSHOT_RECORD),
    };
    for (const count of counts) {
      if (r.has(count)) payload[count] = r.integer(count, 0, Number.MAX_SAFE_INTEGER);
    }
    return payload;
  },
};
