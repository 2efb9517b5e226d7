import assert from "node:assert/strict";
import { argon2id, argon2Verify } from "hash-wasm";
import { DEFAULT_HASH_PARAMS, type HashParams } from "./hash_params.ts";
import { hashSecret, needsRehash, verifySecret } from "./password_hash.ts";

const ARGON2_CHEAP: HashParams = {
  algorithm: "argon2id",
  memoryKiB: 64,
  iterations: 1,
  parallelism: 1,
};
const SCRYPT_CHEAP: HashParams = { algorithm: "scrypt", logN: 4, r: 8, p: 1 };
const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
const WRONG = SECRET.map((byte, i) => (i === 31 ? byte ^ 1 : byte));
const FIXED_SALT = (n: number) => new Uint8Array(n).fill(0xab);
const utf8 = (text: string) => new TextEncoder().encode(text);

Deno.test("hashSecret() and verifySecret() round-trip argon2id", async () => {
  const phc = await hashSecret(SECRET, ARGON2_CHEAP);
  assert.match(phc, /^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.ok(await verifySecret(SECRET, phc));
  assert.ok(!await verifySecret(WRONG, phc));
});

Deno.test("hashSecret() and verifySecret() round-trip scrypt", async () => {
  const phc = await hashSecret(SECRET, SCRYPT_CHEAP);
  assert.match(phc, /^\$scrypt\$ln=4,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.ok(await verifySecret(SECRET, phc));
  assert.ok(!await verifySecret(WRONG, phc));
});

Deno.test("hashSecret() writes what hash-wasm's own encoder writes", async () => {
  const phc = await hashSecret(SECRET, ARGON2_CHEAP, FIXED_SALT);
  const reference = await argon2id({
    password: SECRET,
    salt: FIXED_SALT(16),
    iterations: 1,
    parallelism: 1,
    memorySize: 64,
    hashLength: 32,
    outputType: "encoded",
  });
  assert.equal(phc, reference);
  assert.ok(await argon2Verify({ password: SECRET, hash: phc }));
});

Deno.test("verifySecret() accepts the argon2 reference implementation's vector", async () => {
  // From the reference test.c: password "password", salt "somesalt", t=2, m=256, p=1.
  const phc =
    "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";
  assert.ok(await verifySecret(utf8("password"), phc));
  assert.ok(!await verifySecret(utf8("passwore"), phc));
});

Deno.test("verifySecret() accepts the RFC 7914 scrypt vector", async () => {
  // RFC 7914 §12: P="pleaseletmein", S="SodiumChloride", N=16384, r=8, p=1, dkLen=64.
  const salt = utf8("SodiumChloride").toBase64({ omitPadding: true });
  const hash =
    "cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofLVQylVYT8Pz2LUlwUkKpr55h6F3A1lHkDfzwF7RVdYhw";
  const phc = `$scrypt$ln=14,r=8,p=1$${salt}$${hash}`;
  assert.ok(await verifySecret(utf8("pleaseletmein"), phc));
  assert.ok(!await verifySecret(utf8("pleaseletmeout"), phc));
});

Deno.test("verifySecret() throws on malformed or unsupported PHC strings", async () => {
  const good = await hashSecret(SECRET, ARGON2_CHEAP);
  const [, , v, params, salt, hash] = good.split("$");
  const syntax = [
    "",
    "argon2id",
    good.slice(1),
    `$argon2id$${params}$${salt}$${hash}`,
    `$argon2id$v=16$${params}$${salt}$${hash}`,
    `$argon2id$${v}$t=1,m=64,p=1$${salt}$${hash}`,
    `$argon2id$${v}$m=64,t=1,p=1,keyid=x$${salt}$${hash}`,
    `$argon2id$${v}$${params}$${salt}$${hash}=`,
    `$argon2id$${v}$${params}$${salt}$${hash}$`,
    `$argon2id$${v}$${params}$${salt}`,
    `$scrypt$ln=4,r=8$${salt}$${hash}`,
  ];
  for (const bad of syntax) await assert.rejects(verifySecret(SECRET, bad), SyntaxError, bad);
  const range = [
    `$argon2i$${v}$${params}$${salt}$${hash}`,
    `$bcrypt$${v}$${params}$${salt}$${hash}`,
    `$argon2id$${v}$m=4,t=1,p=1$${salt}$${hash}`,
    `$argon2id$${v}$m=2097152,t=1,p=1$${salt}$${hash}`,
    `$argon2id$${v}$m=64,t=100,p=1$${salt}$${hash}`,
    `$argon2id$${v}$${params}$AAAA$${hash}`,
    `$argon2id$${v}$${params}$${salt}$AAAA`,
    `$scrypt$ln=21,r=8,p=1$${salt}$${hash}`,
    `$scrypt$ln=20,r=9,p=1$${salt}$${hash}`,
    "$" + "x".repeat(600),
  ];
  for (const bad of range) await assert.rejects(verifySecret(SECRET, bad), RangeError, bad);
});

Deno.test("verifySecret() never puts the hash or salt in its error messages", async () => {
  const phc = "$argon2id$v=19$m=4,t=1,p=1$c2VjcmV0c2FsdA$c2VjcmV0aGFzaHNlY3JldGhhc2g";
  const error = await verifySecret(SECRET, phc).catch((e: Error) => e);
  assert.ok(error instanceof Error && !error.message.includes("c2VjcmV0"));
});

Deno.test("hashSecret() refuses out-of-bounds params and secrets", async () => {
  await assert.rejects(hashSecret(SECRET, { ...ARGON2_CHEAP, memoryKiB: 7 }), RangeError);
  await assert.rejects(
    hashSecret(SECRET, { ...ARGON2_CHEAP, parallelism: 2, memoryKiB: 8 }),
    RangeError,
  );
  await assert.rejects(hashSecret(SECRET, { ...SCRYPT_CHEAP, logN: 0 }), RangeError);
  await assert.rejects(hashSecret(new Uint8Array(0), ARGON2_CHEAP), RangeError);
  await assert.rejects(hashSecret(new Uint8Array(1025), ARGON2_CHEAP), RangeError);
  const unknown = { algorithm: "md5" } as unknown as HashParams;
  await assert.rejects(hashSecret(SECRET, unknown), RangeError);
});

Deno.test("needsRehash() is true for other or weaker parameters", async () => {
  const phc = await hashSecret(SECRET, ARGON2_CHEAP);
  assert.ok(!needsRehash(phc, ARGON2_CHEAP));
  assert.ok(needsRehash(phc, DEFAULT_HASH_PARAMS));
  assert.ok(needsRehash(phc, { ...ARGON2_CHEAP, iterations: 2 }));
  assert.ok(needsRehash(phc, { ...ARGON2_CHEAP, parallelism: 2, memoryKiB: 64 }));
  assert.ok(needsRehash(phc, SCRYPT_CHEAP));
  const scrypt = await hashSecret(SECRET, SCRYPT_CHEAP);
  assert.ok(!needsRehash(scrypt, SCRYPT_CHEAP));
  assert.ok(needsRehash(scrypt, { ...SCRYPT_CHEAP, logN: 5 }));
  assert.ok(needsRehash(scrypt, DEFAULT_HASH_PARAMS));
  const reference =
    "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";
  assert.ok(
    needsRehash(reference, { ...ARGON2_CHEAP, memoryKiB: 256, iterations: 2 }),
    "8-byte salt",
  );
  assert.throws(() => needsRehash("$argon2id$nope", ARGON2_CHEAP), SyntaxError);
});
