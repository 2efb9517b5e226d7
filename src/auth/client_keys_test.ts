import assert from "node:assert/strict";
import { argon2id } from "@noble/hashes/argon2.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { type ClientKdf, DEFAULT_CLIENT_KDF_PARAMS } from "./client_kdf.ts";
import { deriveClientKeys } from "./client_keys.ts";

const SALT = Uint8Array.from({ length: 16 }, (_, i) => i);
const CHEAP: ClientKdf = {
  algorithm: "argon2id",
  memoryKiB: 1024,
  iterations: 1,
  parallelism: 1,
  salt: SALT,
};
const PASSWORD = "correct horse battery staple";

Deno.test("deriveClientKeys() matches the pinned vector", async () => {
  // Pinned: any change here locks every existing user out of their account and their keys.
  const keys = await deriveClientKeys(PASSWORD, CHEAP);
  assert.equal(
    keys.authKey.toHex(),
    "610108471dcaff72c89b76feb3d1c06095ba75d5031edd5b1dd460b8643261a7",
  );
  assert.equal(
    keys.keyEncryptionKey.toHex(),
    "7e23776d628c2d744f237bb1821871a37bf92eb7e4c8798e350a11deb042523e",
  );
  assert.notDeepEqual(keys.authKey, keys.keyEncryptionKey);
});

Deno.test("deriveClientKeys() agrees with an independent Argon2id and HKDF", async () => {
  const master = argon2id(new TextEncoder().encode(PASSWORD), SALT, {
    t: 1,
    m: 1024,
    p: 1,
    dkLen: 32,
  });
  const expected = (info: string) =>
    hkdf(sha256, master, undefined, new TextEncoder().encode(info), 32);
  const keys = await deriveClientKeys(PASSWORD, CHEAP);
  assert.deepEqual(keys.authKey, expected("burrow v1 auth key"));
  assert.deepEqual(keys.keyEncryptionKey, expected("burrow v1 key encryption key"));
});

Deno.test("deriveClientKeys() pins a multi-lane, non-ASCII vector", async () => {
  const kdf: ClientKdf = { ...CHEAP, iterations: 2, parallelism: 2 };
  const keys = await deriveClientKeys("Crème brûlée", kdf);
  assert.equal(
    keys.authKey.toHex(),
    "465af38123c91ad15a35ffdc191c21fab656e476c038850f563be56c79d392fd",
  );
  assert.equal(
    keys.keyEncryptionKey.toHex(),
    "83d6fe254b78d2dc93d5a4d6fab0d56fe408bfe1fc215f8b5a2bc3df3da87dbe",
  );
});

Deno.test("deriveClientKeys() normalises the password to NFC", async () => {
  const composed = await deriveClientKeys("caf\u00e9", CHEAP);
  const decomposed = await deriveClientKeys("cafe\u0301", CHEAP);
  assert.deepEqual(decomposed, composed);
});

Deno.test("deriveClientKeys() depends on password and salt", async () => {
  const base = await deriveClientKeys(PASSWORD, CHEAP);
  assert.notDeepEqual((await deriveClientKeys(PASSWORD + "!", CHEAP)).authKey, base.authKey);
  const otherSalt = { ...CHEAP, salt: new Uint8Array(16).fill(9) };
  assert.notDeepEqual((await deriveClientKeys(PASSWORD, otherSalt)).authKey, base.authKey);
});

Deno.test("deriveClientKeys() refuses out-of-bounds parameters", async () => {
  await assert.rejects(deriveClientKeys(PASSWORD, { ...CHEAP, memoryKiB: 8 }), RangeError);
  await assert.rejects(
    deriveClientKeys(PASSWORD, { ...CHEAP, salt: new Uint8Array(4) }),
    RangeError,
  );
});

Deno.test("deriveClientKeys() runs with the default parameters", async () => {
  const keys = await deriveClientKeys(PASSWORD, { ...DEFAULT_CLIENT_KDF_PARAMS, salt: SALT });
  assert.equal(keys.authKey.length, 32);
  assert.equal(keys.keyEncryptionKey.length, 32);
});
