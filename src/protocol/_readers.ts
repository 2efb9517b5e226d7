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
  type ErrorPayload,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_KDF_LENGTH,
  MAX_NAME_LENGTH,
  MAX_OFFERED_PROTOCOLS,
  MAX_RETRY_AFTER_MS,
  MAX_SNAPSHOTS,
  MAX_SOFTWARE_LENGTH,
  type Payloads,
  type SnapshotInfo,
} from "./payloads.ts";

const NAME: StringSpec = { max: MAX_NAME_LENGTH };
const SOFTWARE: StringSpec = { max: MAX_SOFTWARE_LENGTH };
const KDF: StringSpec = {
  max: MAX_KDF_LENGTH,
  pattern: { regex: /^[\x21-\x7e]+$/, hint: "printable ASCII without spaces" },
};
const TIME: StringSpec = {
  max: 64,
  pattern: {
    regex: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/,
    hint: "an RFC 3339 time",
  },
};
const MESSAGE: StringSpec = { max: MAX_ERROR_MESSAGE_LENGTH };
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
  const r = new FieldReader("snapshots", path, value, [
    "id",
    "set",
    "time",
    "host",
    "files",
    "bytes",
  ]);
  return {
    id: r.string("id", NAME),
    set: r.string("set", NAME),
    time: r.string("time", TIME),
    host: r.string("host", NAME),
    files: r.integer("files", 0, Number.MAX_SAFE_INTEGER),
    bytes: r.integer("bytes", 0, Number.MAX_SAFE_INTEGER),
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
    const r = new FieldReader("hello_ok", "", value, ["protocol", "server", "signup"]);
    return {
      protocol: r.integer("protocol", 1, VERSION_MAX),
      server: r.string("server", SOFTWARE),
      signup: r.boolean("signup"),
    };
  },
  error: readError,
  ok(value) {
    new FieldReader("ok", "", value, []);
    return {};
  },
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
    const r = new FieldReader("change_password", "", value, ["kdf", "authKey"]);
    return { kdf: r.string("kdf", KDF), authKey: r.bytes("authKey", AUTH_KEY_LENGTH) };
  },
  list_snapshots(value) {
    const r = new FieldReader("list_snapshots", "", value, ["set"]);
    return r.has("set") ? { set: r.string("set", NAME) } : {};
  },
  snapshots(value) {
    const r = new FieldReader("snapshots", "", value, ["snapshots"]);
    return { snapshots: r.array("snapshots", 0, MAX_SNAPSHOTS, readSnapshotInfo) };
  },
};
