import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type ClientKdf,
  clientKdfMeetsFloor,
  DEFAULT_CLIENT_KDF_PARAMS,
  encodeClientKdf,
  fakeClientKdf,
  newClientKdf,
  parseClientKdf,
} from "./client_kdf.ts";

const SALT = Uint8Array.from({ length: 16 }, (_, i) => i);
const KDF: ClientKdf = { ...DEFAULT_CLIENT_KDF_PARAMS, salt: SALT };
const ENCODED = "$argon2id$v=19$m=19456,t=2,p=1$AAECAwQFBgcICQoLDA0ODw";

Deno.test("encodeClientKdf() writes the PHC-like form without a hash", () => {
  assert.equal(encodeClientKdf(KDF), ENCODED);
});

Deno.test("parseClientKdf() reads what encodeClientKdf() writes", () => {
  assert.deepEqual(parseClientKdf(ENCODED), KDF);
  const arbitrary = fc.record({
    algorithm: fc.constant("argon2id" as const),
    memoryKiB: fc.integer({ min: 1024, max: 1048576 }),
    iterations: fc.integer({ min: 1, max: 20 }),
    parallelism: fc.integer({ min: 1, max: 8 }),
    salt: fc.uint8Array({ minLength: 16, maxLength: 64 }),
  });
  fc.assert(fc.property(arbitrary, (kdf) => {
    assert.deepEqual(parseClientKdf(encodeClientKdf(kdf)), { ...kdf });
  }));
});

Deno.test("parseClientKdf() rejects malformed strings with SyntaxError", () => {
  const salt = "AAECAwQFBgcICQoLDA0ODw";
  for (
    const bad of [
      "",
      "argon2id$v=19$m=19456,t=2,p=1$" + salt,
      "$argon2i$v=19$m=19456,t=2,p=1$" + salt,
      "$argon2id$v=16$m=19456,t=2,p=1$" + salt,
      "$argon2id$m=19456,t=2,p=1$" + salt,
      "$argon2id$v=19$t=2,m=19456,p=1$" + salt,
      "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$hash",
      "$argon2id$v=19$m=019456,t=2,p=1$" + salt,
      "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==",
      "$argon2id$v=19$m=19456,t=2,p=1,k=1$" + salt,
    ]
  ) {
    assert.throws(() => parseClientKdf(bad), SyntaxError, bad);
  }
});

Deno.test("parseClientKdf() rejects out-of-bounds values with RangeError", () => {
  const salt = "AAECAwQFBgcICQoLDA0ODw";
  for (
    const bad of [
      "$argon2id$v=19$m=1023,t=2,p=1$" + salt,
      "$argon2id$v=19$m=1048577,t=2,p=1$" + salt,
      "$argon2id$v=19$m=9999999999,t=2,p=1$" + salt,
      "$argon2id$v=19$m=19456,t=0,p=1$" + salt,
      "$argon2id$v=19$m=19456,t=21,p=1$" + salt,
      "$argon2id$v=19$m=19456,t=2,p=9$" + salt,
      "$argon2id$v=19$m=19456,t=2,p=1$AAECAwQFBgcICQoLDA0O",
      "$argon2id$v=19$m=19456,t=2,p=1$" + "A".repeat(300),
    ]
  ) {
    assert.throws(() => parseClientKdf(bad), RangeError, bad);
  }
});

Deno.test("encodeClientKdf() refuses out-of-bounds values", () => {
  assert.throws(() => encodeClientKdf({ ...KDF, memoryKiB: 1.5e3 + 0.5 }), RangeError);
  assert.throws(() => encodeClientKdf({ ...KDF, salt: new Uint8Array(8) }), RangeError);
});

Deno.test("newClientKdf() makes a fresh 16-byte salt from the given randomness", () => {
  const kdf = newClientKdf(DEFAULT_CLIENT_KDF_PARAMS, (n) => new Uint8Array(n).fill(7));
  assert.deepEqual(kdf, { ...DEFAULT_CLIENT_KDF_PARAMS, salt: new Uint8Array(16).fill(7) });
  assert.notDeepEqual(newClientKdf().salt, newClientKdf().salt);
});

Deno.test("fakeClientKdf() is stable per secret and name and looks like a real KDF", () => {
  const secret = new Uint8Array(32).fill(1);
  const alice = fakeClientKdf(secret, "alice");
  assert.deepEqual(fakeClientKdf(secret, "alice"), alice);
  assert.notDeepEqual(fakeClientKdf(secret, "bob").salt, alice.salt);
  assert.notDeepEqual(fakeClientKdf(new Uint8Array(32).fill(2), "alice").salt, alice.salt);
  assert.equal(alice.salt.length, 16);
  // Pinned: a change would let a prober tell a restarted server's fake salts from real ones.
  assert.equal(alice.salt.toHex(), "e2968471a06334991517126c4db6811c");
  assert.deepEqual(parseClientKdf(encodeClientKdf(alice)), alice);
  assert.throws(() => fakeClientKdf(new Uint8Array(15), "alice"), RangeError);
});

Deno.test("clientKdfMeetsFloor() refuses cheaper parameters", () => {
  assert.ok(clientKdfMeetsFloor(KDF));
  assert.ok(clientKdfMeetsFloor({ ...KDF, memoryKiB: 65536, iterations: 3 }));
  assert.ok(!clientKdfMeetsFloor({ ...KDF, memoryKiB: 1024 }));
  assert.ok(!clientKdfMeetsFloor({ ...KDF, iterations: 1 }));
  assert.ok(
    clientKdfMeetsFloor({ ...KDF, memoryKiB: 1024, iterations: 1 }, {
      ...KDF,
      memoryKiB: 1024,
      iterations: 1,
    }),
  );
});
