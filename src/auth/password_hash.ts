/**
 * Password hashing for the server: turns an auth key into a PHC string, verifies one in
 * constant time, and says when a stored string should be upgraded. CPU-heavy: the server calls
 * these through {@link HashPool}, never on its event loop.
 *
 * @module
 */

import { scrypt, timingSafeEqual } from "node:crypto";
import { argon2id } from "hash-wasm";
import { encodePhc, parsePhc } from "./_phc.ts";
import {
  assertHashParams,
  HASH_OUTPUT_BYTES,
  HASH_SALT_BYTES,
  type HashParams,
  scryptMemoryBytes,
} from "./hash_params.ts";
import { type RandomBytes, secureRandomBytes } from "./random_bytes.ts";

/** Largest secret accepted, in bytes: auth keys are 32; this only stops absurd inputs. */
export const MAX_SECRET_BYTES = 1024;

/**
 * Hashes a secret (an auth key) with a fresh 16-byte random salt into a PHC string with a
 * 32-byte hash.
 *
 * @throws {RangeError} when the params are out of bounds or the secret is empty or too long
 */
export async function hashSecret(
  secret: Uint8Array,
  params: HashParams,
  random: RandomBytes = secureRandomBytes,
): Promise<string> {
  checkSecret(secret);
  assertHashParams(params);
  const salt = random(HASH_SALT_BYTES);
  const hash = await computeHash(secret, params, salt, HASH_OUTPUT_BYTES);
  return encodePhc({ params, salt, hash });
}

/**
 * Whether `secret` matches a stored PHC string (`$argon2id$v=19$…` or `$scrypt$…`); the hashes
 * are compared in constant time. A malformed, out-of-bounds or unsupported PHC string throws
 * rather than returning false: it means a corrupt store, which must be reported, not taken for
 * a wrong password.
 *
 * @throws {SyntaxError} when the PHC string is malformed
 * @throws {RangeError} when its algorithm is unsupported, a value is out of bounds, or the
 *   secret is empty or too long
 */
export async function verifySecret(secret: Uint8Array, phc: string): Promise<boolean> {
  checkSecret(secret);
  const record = parsePhc(phc);
  const actual = await computeHash(secret, record.params, record.salt, record.hash.length);
  return timingSafeEqual(actual, record.hash);
}

/**
 * Whether a stored PHC string should be recomputed with `params` on the next successful login:
 * true when its algorithm or any cost value differs from `params`, or its salt or hash length
 * differs from what {@link hashSecret} makes.
 *
 * @throws {SyntaxError} when the PHC string is malformed
 * @throws {RangeError} when it is unsupported or out of bounds, or `params` are out of bounds
 */
export function needsRehash(phc: string, params: HashParams): boolean {
  assertHashParams(params);
  const record = parsePhc(phc);
  if (record.salt.length !== HASH_SALT_BYTES || record.hash.length !== HASH_OUTPUT_BYTES) {
    return true;
  }
  const stored = record.params;
  if (stored.algorithm === "argon2id" && params.algorithm === "argon2id") {
    return stored.memoryKiB !== params.memoryKiB || stored.iterations !== params.iterations ||
      stored.parallelism !== params.parallelism;
  }
  if (stored.algorithm === "scrypt" && params.algorithm === "scrypt") {
    return stored.logN !== params.logN || stored.r !== params.r || stored.p !== params.p;
  }
  return true;
}

function checkSecret(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array)) {
    throw new TypeError("Cannot hash secret: it is not a Uint8Array");
  }
  if (secret.length === 0 || secret.length > MAX_SECRET_BYTES) {
    throw new RangeError(`Cannot hash secret: its length is outside 1..${MAX_SECRET_BYTES} bytes`);
  }
}

async function computeHash(
  secret: Uint8Array,
  params: HashParams,
  salt: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  if (params.algorithm === "argon2id") {
    return await argon2id({
      password: secret,
      salt,
      iterations: params.iterations,
      parallelism: params.parallelism,
      memorySize: params.memoryKiB,
      hashLength: length,
      outputType: "binary",
    });
  }
  return await scryptAsync(secret, salt, length, params);
}

function scryptAsync(
  secret: Uint8Array,
  salt: Uint8Array,
  length: number,
  params: Extract<HashParams, { algorithm: "scrypt" }>,
): Promise<Uint8Array> {
  const N = 2 ** params.logN;
  // OpenSSL needs 128·r·(N + p + 2) bytes; the slack keeps its own accounting happy.
  const maxmem = scryptMemoryBytes(params) + 128 * params.r * (params.p + 2) + 2 ** 20;
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, length, { N, r: params.r, p: params.p, maxmem }, (error, key) => {
      if (error) reject(new RangeError("Cannot compute scrypt hash", { cause: error }));
      else resolve(new Uint8Array(key));
    });
  });
}
