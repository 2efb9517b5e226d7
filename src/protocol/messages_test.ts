import assert from "node:assert/strict";
import fc from "fast-check";
import { ProtocolError } from "../errors.ts";
import { encodeBase64 } from "./_base64.ts";
import { MAX_CONTROL_PAYLOAD } from "./frame_limits.ts";
import { MESSAGE_NAMES, MESSAGE_SENDER, type MessageName, MessageType } from "./message_type.ts";
import {
  chooseProtocol,
  decodeClientMessage,
  decodeMessage,
  decodeServerMessage,
  encodeMessage,
} from "./messages.ts";
import type { SnapshotInfo } from "./payloads.ts";
import { type BinaryMessageName, isBinaryMessage } from "./_binary_codecs.ts";

type JsonMessageName = Exclude<MessageName, BinaryMessageName>;
/** The messages whose payload is JSON (binary ones are tested in _binary_codecs_test.ts). */
const JSON_NAMES = MESSAGE_NAMES.filter((n): n is JsonMessageName => !isBinaryMessage(n));

const KEY = encodeBase64(new Uint8Array(32).map((_, i) => i * 7));
const KDF = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA";
const SNAPSHOT = { id: "a1b2c3d4e5f60718", record: encodeBase64(new Uint8Array(80).fill(9)) };
const WRAPPED = encodeBase64(new Uint8Array(65).fill(3));

/** One valid wire object per message, with every optional field present. */
const VALID: Record<JsonMessageName, Record<string, unknown>> = {
  hello: { protocol: [2, 1], client: "burrow/0.1.0" },
  hello_ok: { protocol: 1, server: "burrow/0.1.0", signup: false, minPasswordLength: 8 },
  error: { code: "RATE_LIMITED", message: "Cannot log in: too many attempts", retryAfterMs: 5000 },
  ok: {},
  login_start: { user: "alice" },
  login_challenge: { kdf: KDF },
  login_proof: { authKey: KEY },
  login_ok: { user: "alice" },
  signup: { user: "alice", kdf: KDF, authKey: KEY },
  signup_ok: { user: "alice" },
  change_password: { kdf: KDF, authKey: KEY, wrappedKey: WRAPPED },
  stream_ticket: {},
  stream_ticket_ok: { ticket: KEY },
  ticket_login: { ticket: KEY },
  list_snapshots: {},
  snapshots: {
    snapshots: [SNAPSHOT, { ...SNAPSHOT, id: "00000000000000ff" }],
    unreadable: [{ id: "0000000000000abc", reason: "its record file is empty" }],
    damagedChunks: 3,
  },
  get_key: {},
  key: { wrapped: WRAPPED },
  put_key: { wrapped: WRAPPED },
  list_chunks: { after: KEY },
  put_ok: { stored: 3, bytes: 4096 },
  commit_snapshot: {
    id: "a1b2c3d4e5f60718",
    record: encodeBase64(new Uint8Array(100)),
    filesNew: 3,
    filesChanged: 0,
    filesRemoved: 7,
  },
  damage_noted: { setAside: 3 },
  forget_snapshots: { ids: ["a1b2c3d4e5f60718", "00000000000000ff"] },
  prune_begin: {},
  prune_run: { maxUnused: 5, dryRun: false },
  pruned: {
    packsBefore: 4,
    bytesBefore: 4000,
    packsAfter: 2,
    bytesAfter: 2000,
    packsDeleted: 1,
    packsRewritten: 1,
    blobsRemoved: 9,
    unusedBytesKept: 10,
  },
};
/** Optional fields, as "message.field". */
const OPTIONAL = new Set([
  "error.retryAfterMs",
  "change_password.wrappedKey",
  "key.wrapped",
  "list_chunks.after",
  "snapshots.unreadable",
  "snapshots.damagedChunks",
  "commit_snapshot.filesNew",
  "commit_snapshot.filesChanged",
  "commit_snapshot.filesRemoved",
]);
/** The longest value each string field takes (patterned fields are tested apart). */
const STRING_MAX: Record<string, number> = {
  client: 64,
  server: 64,
  user: 256,
  kdf: 256,
  message: 1024,
};
const WRONG_TYPE: Record<string, unknown> = { string: 42, number: "1", boolean: 1, object: "x" };

function frame(name: MessageName, wire: unknown): { type: number; payload: Uint8Array } {
  return { type: MessageType[name], payload: new TextEncoder().encode(JSON.stringify(wire)) };
}

function rejects(name: MessageName, wire: unknown, pattern: RegExp): void {
  assert.throws(() => decodeMessage(frame(name, wire)), (error: unknown) => {
    assert.ok(error instanceof ProtocolError, String(error));
    assert.match(error.message, pattern);
    assert.ok(error.message.includes(`"${name}"`), error.message);
    return true;
  });
}

Deno.test("decodeMessage() accepts every valid message and encodeMessage() restores it", () => {
  for (const name of JSON_NAMES) {
    const message = decodeMessage(frame(name, VALID[name]));
    assert.equal(message.type, name);
    const bytes = encodeMessage(name, message.payload as never);
    assert.equal(new TextDecoder().decode(bytes), JSON.stringify(VALID[name]), name);
  }
});

Deno.test("decodeMessage() returns byte fields as Uint8Array", () => {
  const message = decodeMessage(frame("signup", VALID.signup));
  assert.ok(message.type === "signup");
  assert.equal(message.payload.authKey.length, 32);
  assert.equal(message.payload.authKey[1], 7);
});

Deno.test("decodeMessage() rejects a missing field and accepts a missing optional one", () => {
  for (const name of JSON_NAMES) {
    for (const field of Object.keys(VALID[name])) {
      const { [field]: _, ...rest } = VALID[name];
      if (OPTIONAL.has(`${name}.${field}`)) decodeMessage(frame(name, rest));
      else rejects(name, rest, new RegExp(`field "${field}" is missing`));
    }
  }
});

Deno.test("decodeMessage() rejects an unknown field", () => {
  for (const name of JSON_NAMES) {
    rejects(name, { ...VALID[name], extra: 1 }, /field "extra" is not allowed/);
    rejects(name, { ...VALID[name], ["k".repeat(5000)]: 1 }, /is not allowed/);
  }
  rejects("snapshots", { snapshots: [{ ...SNAPSHOT, owner: "bob" }] }, /"owner" is not allowed/);
  rejects("hello", JSON.parse('{"protocol":[1],"client":"c","__proto__":{}}'), /"__proto__"/);
});

Deno.test("decodeMessage() rejects a field of the wrong type or null", () => {
  for (const name of JSON_NAMES) {
    for (const [field, value] of Object.entries(VALID[name])) {
      const wrong = WRONG_TYPE[typeof value];
      rejects(name, { ...VALID[name], [field]: wrong }, new RegExp(`field "${field}" must be`));
      rejects(name, { ...VALID[name], [field]: null }, new RegExp(`field "${field}" must be`));
    }
  }
});

Deno.test("decodeMessage() rejects a string one character over its limit", () => {
  for (const name of JSON_NAMES) {
    for (const [field, value] of Object.entries(VALID[name])) {
      const max = STRING_MAX[field];
      if (typeof value !== "string" || max === undefined) continue;
      const fill = field === "kdf" ? "$" : "a";
      decodeMessage(frame(name, { ...VALID[name], [field]: fill.repeat(max) }));
      rejects(name, { ...VALID[name], [field]: fill.repeat(max + 1) }, /characters long/);
      rejects(name, { ...VALID[name], [field]: "" }, /characters long/);
    }
  }
});

Deno.test("decodeMessage() rejects control characters and lone surrogates in strings", () => {
  for (const bad of ["a\nb", "a\u0000", "\u001b[31m", "a\u007f", "\u0085", "\ud800x"]) {
    rejects("login_start", { user: bad }, /control characters/);
    rejects("error", { ...VALID.error, message: bad }, /control characters/);
  }
});

Deno.test("decodeMessage() rejects bad base64 and keys of the wrong length", () => {
  const bytes = (n: number) => encodeBase64(new Uint8Array(n).fill(1));
  const nonCanonical = `${KEY.slice(0, 42)}B=`;
  const cases = [
    "not base64 at all!!",
    KEY.replace(/=$/, ""),
    `${KEY} `,
    `${KEY.slice(0, 40)}-_-=`,
    nonCanonical,
    bytes(31),
    bytes(33),
    bytes(0),
    "A".repeat(40_000),
  ];
  for (const name of ["login_proof", "signup", "change_password"] as const) {
    for (const authKey of cases) {
      rejects(name, { ...VALID[name], authKey }, /"authKey" must be canonical base64 of 32 bytes/);
    }
  }
});

Deno.test("decodeMessage() rejects bad numbers, codes, times and counts", () => {
  for (const protocol of [[], [1, 2, 3, 4, 5, 6, 7, 8, 9], [0], [65536], [1.5], ["1"]]) {
    rejects("hello", { ...VALID.hello, protocol }, /"protocol/);
  }
  rejects("hello_ok", { ...VALID.hello_ok, protocol: 0 }, /"protocol" must be in 1-65535/);
  for (const minPasswordLength of [0, -1, 1025, 8.5]) {
    rejects("hello_ok", { ...VALID.hello_ok, minPasswordLength }, /"minPasswordLength" must be/);
  }
  decodeMessage(frame("hello_ok", { ...VALID.hello_ok, minPasswordLength: 1 }));
  decodeMessage(frame("hello_ok", { ...VALID.hello_ok, minPasswordLength: 1024 }));
  rejects("error", { ...VALID.error, code: "NOPE" }, /"code" must be a known error code/);
  rejects("error", { ...VALID.error, retryAfterMs: -1 }, /"retryAfterMs"/);
  rejects("error", { ...VALID.error, retryAfterMs: 1e15 }, /"retryAfterMs"/);
  rejects("login_challenge", { kdf: "$argon2id$ with space" }, /"kdf" must be printable ASCII/);
  const entry = (patch: Partial<Record<keyof SnapshotInfo, unknown>>) => ({
    snapshots: [SNAPSHOT, { ...SNAPSHOT, ...patch }],
  });
  rejects("snapshots", entry({ id: "../x" }), /"snapshots\[1\]\.id" must be 16 lowercase hex/);
  rejects("snapshots", entry({ record: "" }), /"snapshots\[1\]\.record" must be canonical base64/);
  rejects("put_ok", { stored: -1, bytes: 0 }, /"stored" must be in/);
  rejects("key", { wrapped: KEY }, /"wrapped" must be canonical base64 of 65 bytes/);
  rejects("snapshots", { snapshots: [SNAPSHOT, 1] }, /"snapshots\[1\]" must be a JSON object/);
  const tooMany = Array.from({ length: 100_001 }, () => 0);
  rejects("snapshots", { snapshots: tooMany }, /must have 0-100000 entries/);
  const unreadable = (patch: Record<string, unknown>) => ({
    snapshots: [],
    unreadable: [{ id: "0000000000000abc", reason: "gone", ...patch }],
  });
  rejects("snapshots", unreadable({ id: "zz" }), /"unreadable\[0\]\.id" must be 16 lowercase/);
  rejects("snapshots", unreadable({ reason: "" }), /"unreadable\[0\]\.reason" must be 1-256/);
  rejects("snapshots", unreadable({ path: "/srv" }), /"path" is not allowed/);
  rejects("snapshots", { snapshots: [], unreadable: [] }, /"unreadable" must have 1-/);
  rejects("snapshots", { snapshots: [], damagedChunks: 0 }, /"damagedChunks" must be in 1-/);
});

Deno.test("decodeMessage() rejects a payload that is not one UTF-8 JSON object", () => {
  const raw = (name: MessageName, bytes: number[] | string) => ({
    type: MessageType[name],
    payload: typeof bytes === "string" ? new TextEncoder().encode(bytes) : new Uint8Array(bytes),
  });
  for (const text of ["", "{", '{"user":"a"} x', "\ufeff{}", "[]", "null", '"a"', "1"]) {
    assert.throws(() => decodeMessage(raw("ok", text)), ProtocolError, JSON.stringify(text));
  }
  assert.throws(() => decodeMessage(raw("ok", [0x7b, 0xff, 0x7d])), /not UTF-8 JSON/);
  assert.throws(() => decodeMessage(raw("ok", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[")), ProtocolError);
});

Deno.test("decodeMessage() rejects an unknown type and a payload over its cap", () => {
  assert.throws(() => decodeMessage({ type: 200, payload: new Uint8Array(2) }), /type 200/);
  const big = { type: MessageType.hello, payload: new Uint8Array(MAX_CONTROL_PAYLOAD + 1) };
  assert.throws(() => decodeMessage(big), /exceeds the limit of 65536/);
});

Deno.test("decodeMessage() errors never echo long input", () => {
  const long = "x".repeat(10_000);
  for (const wire of [{ user: long }, { [long]: 1 }, { user: `${long}\n` }]) {
    assert.throws(() => decodeMessage(frame("login_start", wire)), (error: Error) => {
      assert.ok(error.message.length < 200, error.message);
      return true;
    });
  }
  assert.throws(
    () => decodeMessage({ type: MessageType.ok, payload: new TextEncoder().encode(long) }),
    (error: Error) => error.message.length < 200 && error.cause === undefined,
  );
});

Deno.test("decodeClientMessage() and decodeServerMessage() refuse the other side's messages", () => {
  for (const name of JSON_NAMES) {
    const f = frame(name, VALID[name]);
    const client = () => decodeClientMessage(f);
    const server = () => decodeServerMessage(f);
    if (MESSAGE_SENDER[name] === "client") {
      assert.equal(client().type, name);
      assert.throws(server, /from a server: it is a client message/);
    } else {
      assert.equal(server().type, name);
      assert.throws(client, /from a client: it is a server message/);
    }
  }
});

Deno.test("encodeMessage() throws TypeError on an invalid payload", () => {
  assert.throws(() => encodeMessage("login_proof", { authKey: new Uint8Array(31) }), TypeError);
  assert.throws(() => encodeMessage("login_start", { user: "" }), /Cannot encode "login_start"/);
  const extra = { user: "a", pass: "b" } as { user: string };
  assert.throws(() => encodeMessage("login_start", extra), /"pass" is not allowed/);
  const undef = { after: undefined } as unknown as { after: Uint8Array };
  assert.throws(() => encodeMessage("list_chunks", undef), TypeError);
});

Deno.test("encodeMessage() throws RangeError on a payload over its cap", () => {
  const entry: SnapshotInfo = { id: "0123456789abcdef", record: new Uint8Array(256 * 1024) };
  const snapshots = Array.from({ length: 50 }, () => entry);
  assert.throws(() => encodeMessage("snapshots", { snapshots }), RangeError);
});

Deno.test("encodeMessage() and decodeMessage() round-trip any valid snapshot list", () => {
  const info = fc.record({
    id: fc.stringMatching(/^[0-9a-f]{16}$/),
    record: fc.uint8Array({ minLength: 1, maxLength: 512 }),
  }, { noNullPrototype: true });
  fc.assert(
    fc.property(fc.array(info, { maxLength: 20 }), (snapshots) => {
      const bytes = encodeMessage("snapshots", { snapshots });
      const message = decodeMessage({ type: MessageType.snapshots, payload: bytes });
      assert.deepEqual(message, { type: "snapshots", payload: { snapshots } });
    }),
    { numRuns: 200 },
  );
});

Deno.test("encodeMessage() and decodeMessage() round-trip any auth key", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (authKey) => {
      const bytes = encodeMessage("login_proof", { authKey });
      const message = decodeMessage({ type: MessageType.login_proof, payload: bytes });
      assert.deepEqual(message, { type: "login_proof", payload: { authKey } });
    }),
  );
});

Deno.test("chooseProtocol() picks the highest common version", () => {
  assert.equal(chooseProtocol([1]), 1);
  assert.equal(chooseProtocol([3, 2, 1], [1, 2]), 2);
  assert.equal(chooseProtocol([2, 3]), undefined);
});
