/**
 * Server-side password-hash parameters: which algorithm and cost turn an auth key into the PHC
 * string a user store keeps.
 *
 * @module
 */

import { checkBoundedInt } from "./_encoding.ts";

/** Argon2id cost: the default and recommended algorithm. */
export interface Argon2idHashParams {
  algorithm: "argon2id";
  /** Memory cost in KiB (at least 8 per lane). */
  memoryKiB: number;
  /** Number of passes. */
  iterations: number;
  /** Degree of parallelism (lanes). */
  parallelism: number;
}

/** scrypt cost, as in `$scrypt$ln=17,r=8,p=1$…`: N = 2^logN. */
export interface ScryptHashParams {
  algorithm: "scrypt";
  /** log2 of the CPU/memory cost N. */
  logN: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

/** Parameters of one supported password-hash algorithm. */
export type HashParams = Argon2idHashParams | ScryptHashParams;

/**
 * The server's Argon2id cost for new verifiers: m=256 KiB, t=1, p=1 (~1 ms here). What it hashes is
 * not a password but a 256-bit auth key that the client derived with OWASP-strength Argon2id
 * (`client_kdf.ts`), so a stolen store still costs that client KDF per password guess; this hash
 * only keeps the stored value from being usable as a login. Kept cheap so that 50 logins at once
 * take under 0.2 s of server CPU, not several seconds.
 */
export const DEFAULT_HASH_PARAMS: Readonly<Argon2idHashParams> = Object.freeze({
  algorithm: "argon2id",
  memoryKiB: 256,
  iterations: 1,
  parallelism: 1,
});

/**
 * Hard bounds on every hash value, applied when hashing and when parsing a stored PHC string
 * (so a corrupt store cannot make the server allocate gigabytes). Lower bounds are the
 * algorithms' own minimums: choosing a strong cost is configuration's job.
 */
export const HASH_LIMITS = Object.freeze(
  {
    argon2id: { memoryKiB: [8, 1048576], iterations: [1, 20], parallelism: [1, 8] },
    scrypt: { logN: [1, 20], r: [1, 32], p: [1, 16], maxMemoryBytes: 2 ** 30 },
    saltBytes: [8, 64],
    hashBytes: [16, 64],
  } as const,
);

/** Bytes of salt and of hash that new PHC strings get. */
export const HASH_SALT_BYTES = 16;
/** Bytes of hash output that new PHC strings get. */
export const HASH_OUTPUT_BYTES = 32;

/**
 * Checks that hash parameters name a supported algorithm and lie within {@link HASH_LIMITS}.
 *
 * @throws {RangeError} when they do not
 */
export function assertHashParams(params: HashParams): void {
  if (params.algorithm === "argon2id") {
    const limits = HASH_LIMITS.argon2id;
    checkBoundedInt(params.parallelism, "argon2id parallelism", ...limits.parallelism);
    checkBoundedInt(params.iterations, "argon2id iterations", ...limits.iterations);
    const [, maxMemory] = limits.memoryKiB;
    checkBoundedInt(params.memoryKiB, "argon2id memoryKiB", 8 * params.parallelism, maxMemory);
  } else if (params.algorithm === "scrypt") {
    const limits = HASH_LIMITS.scrypt;
    checkBoundedInt(params.logN, "scrypt logN", ...limits.logN);
    checkBoundedInt(params.r, "scrypt r", ...limits.r);
    checkBoundedInt(params.p, "scrypt p", ...limits.p);
    if (scryptMemoryBytes(params) > limits.maxMemoryBytes) {
      throw new RangeError("Cannot use scrypt parameters: they need more than 1 GiB of memory");
    }
  } else {
    throw new RangeError("Cannot use hash parameters: unsupported algorithm");
  }
}

/** Bytes of memory scrypt needs for its large vector: 128 · r · N. */
export function scryptMemoryBytes(params: ScryptHashParams): number {
  return 128 * params.r * 2 ** params.logN;
}
