import assert from "node:assert/strict";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { IntegrityError } from "../errors.ts";
import {
  deriveRepositoryKeys,
  newMasterKey,
  unwrapMasterKey,
  wrapMasterKey,
  WRAPPED_MASTER_KEY_BYTES,
} from "./master_key.ts";

/** Bytes start, start+1, … (mod 256). */
const seq = (length: number, start = 0) =>
  Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
const MASTER = seq(32);
const KEK = seq(32, 0x40);
const UNLOCK_FAILED = "Cannot unlock the repository key: wrong password or damaged key file";

Deno.test("deriveRepositoryKeys() matches the pinned vector", () => {
  // Pinned: a change here makes every existing repository unreadable.
  const keys = deriveRepositoryKeys(MASTER);
  assert.equal(
    keys.idKey.toHex(),
    "50bb535e60e6d5006d9f8124fc6f583dc46413d46e90963640bc3ca4358d2f78",
  );
  assert.equal(
    keys.dataKey.toHex(),
    "98c0f3dee571ab6cf86824216edc3488c248dd25a6231cc90b6abc2fcce256a7",
  );
});

Deno.test("deriveRepositoryKeys() agrees with an independent HKDF", () => {
  const expected = (info: string) =>
    hkdf(sha256, MASTER, undefined, new TextEncoder().encode(info), 32);
  const keys = deriveRepositoryKeys(MASTER);
  assert.deepEqual(keys.idKey, expected("burrow v1 chunk id key"));
  assert.deepEqual(keys.dataKey, expected("burrow v1 data key"));
});

Deno.test("deriveRepositoryKeys() refuses a master key that is not 32 bytes", () => {
  assert.throws(() => deriveRepositoryKeys(seq(31)), RangeError);
});

Deno.test("newMasterKey() returns 32 fresh random bytes", () => {
  const a = newMasterKey();
  assert.equal(a.length, 32);
  assert.notDeepEqual(a, newMasterKey());
  assert.throws(() => newMasterKey(() => new Uint8Array(16)), RangeError);
});

Deno.test("wrapMasterKey() matches the pinned vector", () => {
  // Checked against pyca/cryptography's ChaCha20Poly1305 with the same nonce.
  const wrapped = wrapMasterKey(MASTER, KEK, (n) => seq(n, 0xa0));
  assert.equal(
    wrapped.toHex(),
    "4252574b01a0a1a2a3a4a5a6a7a8a9aaabacc0d9ef7cec6e947f799436d731f62ea125d08ec8c7f331d2" +
      "26f816f8023a60a7fd018d2c54d2917d44530f1f89f2c2",
  );
  assert.deepEqual(unwrapMasterKey(wrapped, KEK), MASTER);
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
  const wrapped = wrapMasterKey(MASTER, KEK);
  assert.throws(() => unwrapMasterKey(wrapped, seq(32, 0x41)), {
    name: "IntegrityError",
    message: UNLOCK_FAILED,
  });
});

Deno.test("unwrapMasterKey() refuses any single changed byte", () => {
  const wrapped = wrapMasterKey(MASTER, KEK);
  for (let i = 0; i < wrapped.length; i++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const bad = wrapped.slice();
      bad[i]! ^= mask;
      assert.throws(() => unwrapMasterKey(bad, KEK), IntegrityError, `byte ${i} mask ${mask}`);
    }
  }
});

Deno.test("unwrapMasterKey() refuses a wrong length, magic or version", () => {
  const wrapped = wrapMasterKey(MASTER, KEK);
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
  version[4] = 2;
  assert.throws(() => unwrapMasterKey(version, KEK), /unsupported key file version 2/);
  assert.throws(() => unwrapMasterKey(wrapped, seq(16)), RangeError);
});
