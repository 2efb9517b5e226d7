import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { IntegrityError } from "../errors.ts";
import { fixedGearTable } from "./gear_table.ts";
import {
  deriveRepositoryKeys,
  KEY_FILE_FIXED_GEAR,
  KEY_FILE_KEYED_GEAR,
  type MasterKey,
  newMasterKey,
  unwrapMasterKey,
  wrapMasterKey,
  WRAPPED_MASTER_KEY_BYTES,
} from "./master_key.ts";

/** Bytes start, start+1, … (mod 256). */
const seq = (length: number, start = 0) =>
  Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
const MASTER = seq(32);
/** The same master key bytes in a version-1 key file (fixed gear table) and a version-2 one. */
const V1: MasterKey = { bytes: MASTER, version: KEY_FILE_FIXED_GEAR };
const V2: MasterKey = { bytes: MASTER, version: KEY_FILE_KEYED_GEAR };
const KEK = seq(32, 0x40);
const UNLOCK_FAILED = "Cannot unlock the repository key: wrong password or damaged key file";

/** SHA-256 of a gear table's entries as big-endian 32-bit integers. */
function tableHash(table: Int32Array): string {
  const bytes = new Uint8Array(table.length * 4);
  const view = new DataView(bytes.buffer);
  table.forEach((value, i) => view.setInt32(i * 4, value));
  return createHash("sha256").update(bytes).digest("hex");
}

Deno.test("deriveRepositoryKeys() matches the pinned vector", () => {
  // Pinned: a change here makes every existing repository unreadable.
  for (const key of [V1, V2]) {
    const keys = deriveRepositoryKeys(key);
    assert.equal(
      keys.idKey.toHex(),
      "50bb535e60e6d5006d9f8124fc6f583dc46413d46e90963640bc3ca4358d2f78",
    );
    assert.equal(
      keys.dataKey.toHex(),
      "98c0f3dee571ab6cf86824216edc3488c248dd25a6231cc90b6abc2fcce256a7",
    );
  }
  // Pinned: a change here stops deduplication in every version-2 repository.
  assert.equal(
    tableHash(deriveRepositoryKeys(V2).gear),
    "2721cf78d06c1ac100919c4f1db46f252623c23f78e44e30390188c51d7d7ea3",
  );
});

Deno.test("deriveRepositoryKeys() of a version-1 key keeps the fixed gear table", () => {
  // Its data was cut with the fixed table: cutting new data the same way keeps deduplicating.
  assert.equal(deriveRepositoryKeys(V1).gear, fixedGearTable());
  assert.notDeepEqual(deriveRepositoryKeys(V2).gear, fixedGearTable());
});

Deno.test("deriveRepositoryKeys() agrees with an independent HKDF and HMAC", () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  const expected = (info: string) => hkdf(sha256, MASTER, undefined, encode(info), 32);
  const keys = deriveRepositoryKeys(V2);
  assert.deepEqual(keys.idKey, expected("burrow v1 chunk id key"));
  assert.deepEqual(keys.dataKey, expected("burrow v1 data key"));
  const chunkerKey = expected("burrow v2 chunker key");
  const gear = new Int32Array(256);
  for (let c = 0; c < 32; c++) {
    const input = new Uint8Array([...encode("burrow gear v2"), 0, 0, 0, c]);
    const block = new DataView(hmac(sha256, chunkerKey, input).buffer);
    for (let k = 0; k < 8; k++) gear[c * 8 + k] = block.getInt32(k * 4);
  }
  assert.deepEqual(keys.gear, gear);
});

Deno.test("deriveRepositoryKeys() gives different master keys different gear tables", () => {
  const other = deriveRepositoryKeys({ bytes: seq(32, 1), version: KEY_FILE_KEYED_GEAR });
  assert.notDeepEqual(other.gear, deriveRepositoryKeys(V2).gear);
});

Deno.test("deriveRepositoryKeys() refuses a master key that is not 32 bytes, or an unknown version", () => {
  assert.throws(
    () => deriveRepositoryKeys({ bytes: seq(31), version: KEY_FILE_KEYED_GEAR }),
    RangeError,
  );
  const unknown = { bytes: MASTER, version: 3 } as unknown as MasterKey;
  assert.throws(() => deriveRepositoryKeys(unknown), /unknown key file version "3"/);
  assert.throws(() => wrapMasterKey(unknown, KEK), /unknown key file version "3"/);
});

Deno.test("newMasterKey() returns 32 fresh random bytes for a version-2 key file", () => {
  const a = newMasterKey();
  assert.equal(a.bytes.length, 32);
  assert.equal(a.version, 2);
  assert.notDeepEqual(a.bytes, newMasterKey().bytes);
  assert.throws(() => newMasterKey(() => new Uint8Array(16)), RangeError);
});

Deno.test("wrapMasterKey() matches the pinned vector", () => {
  // Checked against pyca/cryptography's ChaCha20Poly1305 with the same nonce.
  const wrapped = wrapMasterKey(V1, KEK, (n) => seq(n, 0xa0));
  assert.equal(
    wrapped.toHex(),
    "4252574b01a0a1a2a3a4a5a6a7a8a9aaabacc0d9ef7cec6e947f799436d731f62ea125d08ec8c7f331d2" +
      "26f816f8023a60a7fd018d2c54d2917d44530f1f89f2c2",
  );
  assert.deepEqual(unwrapMasterKey(wrapped, KEK), V1);
});

Deno.test("wrapMasterKey() of a version-2 key matches the pinned vector", () => {
  // Checked against pyca/cryptography's ChaCha20Poly1305 with the same nonce.
  const wrapped = wrapMasterKey(V2, KEK, (n) => seq(n, 0xa0));
  assert.equal(
    wrapped.toHex(),
    "4252574b02a0a1a2a3a4a5a6a7a8a9aaabacc0d9ef7cec6e947f799436d731f62ea125d08ec8c7f331d2" +
      "26f816f8023a609fe1507a8aecab57f7c43778455ded55",
  );
  assert.deepEqual(unwrapMasterKey(wrapped, KEK), V2);
});

Deno.test("wrapMasterKey() keeps the key file version, so a new password keeps the gear table", () => {
  const newKek = seq(32, 0x77);
  for (const key of [V1, V2]) {
    const rewrapped = wrapMasterKey(unwrapMasterKey(wrapMasterKey(key, KEK), KEK), newKek);
    assert.equal(rewrapped[4], key.version);
    assert.deepEqual(unwrapMasterKey(rewrapped, newKek), key);
  }
});

Deno.test("unwrapMasterKey() refuses a key file whose version was changed", () => {
  // The version is authenticated: the server cannot move a repository to the fixed table.
  const wrapped = wrapMasterKey(V2, KEK);
  wrapped[4] = KEY_FILE_FIXED_GEAR;
  assert.throws(() => unwrapMasterKey(wrapped, KEK), {
    name: "IntegrityError",
    message: UNLOCK_FAILED,
  });
});

Deno.test("wrapMasterKey() round-trips and uses a fresh nonce each time", () => {
  const master = newMasterKey();
  const a = wrapMasterKey(master, KEK);
  const b = wrapMasterKey(master, KEK);
  assert.equal(a.length, WRAPPED_MASTER_KEY_BYTES);
  assert.notDeepEqual(a, b);
  assert.deepEqual(unwrapMasterKey(a, KEK), master);
  assert.deepEqual(unwrapMasterKey(b, KEK), master);
});

Deno.test("unwrapMasterKey() refuses a wrong key-encryption key", () => {
  const wrapped = wrapMasterKey(V2, KEK);
  assert.throws(() => unwrapMasterKey(wrapped, seq(32, 0x41)), {
    name: "IntegrityError",
    message: UNLOCK_FAILED,
  });
});

Deno.test("unwrapMasterKey() refuses any single changed byte", () => {
  const wrapped = wrapMasterKey(V2, KEK);
  for (let i = 0; i < wrapped.length; i++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const bad = wrapped.slice();
      bad[i]! ^= mask;
      assert.throws(() => unwrapMasterKey(bad, KEK), IntegrityError, `byte ${i} mask ${mask}`);
    }
  }
});

Deno.test("unwrapMasterKey() refuses a wrong length, magic or version", () => {
  const wrapped = wrapMasterKey(V2, KEK);
  for (let length = 0; length < wrapped.length; length++) {
    assert.throws(() => unwrapMasterKey(wrapped.subarray(0, length), KEK), IntegrityError);
  }
  const longer = new Uint8Array(wrapped.length + 1);
  longer.set(wrapped);
  assert.throws(() => unwrapMasterKey(longer, KEK), /is 66 bytes, not 65/);
  const magic = wrapped.slice();
  magic[0] = 0x58;
  assert.throws(() => unwrapMasterKey(magic, KEK), /no "BRWK" magic/);
  const version = wrapped.slice();
  version[4] = 3;
  assert.throws(() => unwrapMasterKey(version, KEK), /unsupported key file version 3/);
  assert.throws(() => unwrapMasterKey(wrapped, seq(16)), RangeError);
});
