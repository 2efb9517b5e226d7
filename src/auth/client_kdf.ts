/**
 * The client-side key derivation parameters: which Argon2id cost and salt a client uses to turn
 * a password into its master secret. The server stores them per user and sends them at login,
 * so parsing treats them as hostile input.
 *
 * @module
 */

import { primitives } from "#primitives";
import {
  checkBoundedInt,
  decodeB64,
  encodeB64,
  parseBoundedInt,
  splitParams,
} from "./_encoding.ts";
import { type RandomBytes, secureRandomBytes } from "./random_bytes.ts";

/** Argon2id cost parameters of a client KDF, without the salt. */
export interface ClientKdfParams {
  algorithm: "argon2id";
  /** Memory cost in KiB. */
  memoryKiB: number;
  /** Number of passes. */
  iterations: number;
  /** Degree of parallelism (lanes). */
  parallelism: number;
}

/** A user's client KDF: cost parameters plus the per-user random salt. */
export interface ClientKdf extends ClientKdfParams {
  salt: Uint8Array;
}

/** OWASP's Argon2id recommendation (m=19 MiB, t=2, p=1): ~65–100 ms per login on one core. */
export const DEFAULT_CLIENT_KDF_PARAMS: Readonly<ClientKdfParams> = Object.freeze({
  algorithm: "argon2id",
  memoryKiB: 19456,
  iterations: 2,
  parallelism: 1,
});

/** Hard bounds on client KDF values; anything outside is refused before use. */
export const CLIENT_KDF_LIMITS = Object.freeze(
  {
    memoryKiB: [1024, 1048576],
    iterations: [1, 20],
    parallelism: [1, 8],
    saltBytes: [16, 64],
  } as const,
);

/** Bytes of salt {@link newClientKdf} and {@link fakeClientKdf} make. */
export const CLIENT_SALT_BYTES = 16;

const MAX_ENCODED_LENGTH = 256;
const FAKE_SALT_LABEL = "burrow fake salt\0";

/**
 * Checks that a ClientKdf (or its params) is an argon2id KDF within {@link CLIENT_KDF_LIMITS}.
 *
 * @throws {RangeError} when a value is out of bounds or the algorithm is not argon2id
 */
export function assertClientKdfParams(params: ClientKdfParams): void {
  if (params.algorithm !== "argon2id") {
    throw new RangeError("Cannot use client KDF: the algorithm is not argon2id");
  }
  const limits = CLIENT_KDF_LIMITS;
  checkBoundedInt(params.memoryKiB, "client KDF memoryKiB", ...limits.memoryKiB);
  checkBoundedInt(params.iterations, "client KDF iterations", ...limits.iterations);
  checkBoundedInt(params.parallelism, "client KDF parallelism", ...limits.parallelism);
}

/**
 * Checks a whole ClientKdf: params and salt length.
 *
 * @throws {RangeError} when a value is out of bounds
 */
export function assertClientKdf(kdf: ClientKdf): void {
  assertClientKdfParams(kdf);
  const [min, max] = CLIENT_KDF_LIMITS.saltBytes;
  if (!(kdf.salt instanceof Uint8Array) || kdf.salt.length < min || kdf.salt.length > max) {
    throw new RangeError(`Cannot use client KDF salt: length is outside ${min}..${max} bytes`);
  }
}

/**
 * Encodes a client KDF as a PHC-like string without a hash part:
 * `$argon2id$v=19$m=19456,t=2,p=1$<salt, unpadded base64>`.
 *
 * @throws {RangeError} when the KDF is out of bounds
 */
export function encodeClientKdf(kdf: ClientKdf): string {
  assertClientKdf(kdf);
  const params = `m=${kdf.memoryKiB},t=${kdf.iterations},p=${kdf.parallelism}`;
  return `$argon2id$v=19$${params}$${encodeB64(kdf.salt)}`;
}

/**
 * Parses the string {@link encodeClientKdf} makes. Strict: exact field order, canonical numbers
 * and base64, every value bounded by {@link CLIENT_KDF_LIMITS}.
 *
 * @throws {SyntaxError} when the string is malformed
 * @throws {RangeError} when a value is out of bounds
 */
export function parseClientKdf(text: string): ClientKdf {
  if (text.length > MAX_ENCODED_LENGTH) {
    throw new RangeError(`Cannot parse client KDF: longer than ${MAX_ENCODED_LENGTH} characters`);
  }
  const parts = text.split("$");
  if (parts.length !== 5 || parts[0] !== "" || parts[1] !== "argon2id" || parts[2] !== "v=19") {
    throw new SyntaxError('Cannot parse client KDF: expected "$argon2id$v=19$m=…,t=…,p=…$salt"');
  }
  const [m = "", t = "", p = ""] = splitParams(parts[3] ?? "", ["m", "t", "p"], "client KDF");
  const limits = CLIENT_KDF_LIMITS;
  return {
    algorithm: "argon2id",
    memoryKiB: parseBoundedInt(m, "client KDF memoryKiB", ...limits.memoryKiB),
    iterations: parseBoundedInt(t, "client KDF iterations", ...limits.iterations),
    parallelism: parseBoundedInt(p, "client KDF parallelism", ...limits.parallelism),
    salt: decodeB64(parts[4] ?? "", "client KDF salt", ...limits.saltBytes),
  };
}

/**
 * Makes a fresh client KDF with a random 16-byte salt, for a new user or a password change.
 *
 * @throws {RangeError} when the params are out of bounds
 */
export function newClientKdf(
  params: ClientKdfParams = DEFAULT_CLIENT_KDF_PARAMS,
  random: RandomBytes = secureRandomBytes,
): ClientKdf {
  assertClientKdfParams(params);
  return { ...copyParams(params), salt: random(CLIENT_SALT_BYTES) };
}

/**
 * The stable fake KDF the server answers for an unknown user name, so that names cannot be
 * probed: salt = HMAC-SHA256(serverSecret, "burrow fake salt\0" + userName), first 16 bytes.
 * The same secret and name always give the same salt; the secret must persist across restarts.
 *
 * @param serverSecret at least 16 random bytes kept by the server
 * @throws {RangeError} when the secret is shorter than 16 bytes or the params are out of bounds
 */
export function fakeClientKdf(
  serverSecret: Uint8Array,
  userName: string,
  params: ClientKdfParams = DEFAULT_CLIENT_KDF_PARAMS,
): ClientKdf {
  if (serverSecret.length < 16) {
    throw new RangeError("Cannot make fake client KDF: the server secret is shorter than 16 bytes");
  }
  assertClientKdfParams(params);
  const label = new TextEncoder().encode(FAKE_SALT_LABEL + userName);
  const mac = primitives.hmacSha256(serverSecret).digest(label);
  return { ...copyParams(params), salt: mac.slice(0, CLIENT_SALT_BYTES) };
}

/**
 * Whether a KDF (typically one a server sent) costs at least as much as `floor` in memory and
 * iterations. A client refuses weaker parameters, so a hostile server cannot make the auth key
 * cheap to brute-force.
 */
export function clientKdfMeetsFloor(
  kdf: ClientKdfParams,
  floor: ClientKdfParams = DEFAULT_CLIENT_KDF_PARAMS,
): boolean {
  return kdf.algorithm === floor.algorithm && kdf.memoryKiB >= floor.memoryKiB &&
    kdf.iterations >= floor.iterations;
}

function copyParams(params: ClientKdfParams): ClientKdfParams {
  return {
    algorithm: params.algorithm,
    memoryKiB: params.memoryKiB,
    iterations: params.iterations,
    parallelism: params.parallelism,
  };
}
