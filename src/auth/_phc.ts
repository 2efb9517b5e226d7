/**
 * The PHC string format for stored hashes: `$argon2id$v=19$m=…,t=…,p=…$salt$hash` and
 * `$scrypt$ln=…,r=…,p=…$salt$hash`, salt and hash in unpadded standard base64 (as the PHC spec
 * and the argon2 reference implementation write them).
 *
 * @module
 */

import { decodeB64, encodeB64, parseBoundedInt, splitParams } from "./_encoding.ts";
import { assertHashParams, HASH_LIMITS, type HashParams } from "./hash_params.ts";

/** The parts of one PHC string. */
export interface PhcRecord {
  params: HashParams;
  salt: Uint8Array;
  hash: Uint8Array;
}

const MAX_PHC_LENGTH = 512;

/** Encodes a record as a PHC string. */
export function encodePhc(record: PhcRecord): string {
  const tail = `${encodeB64(record.salt)}$${encodeB64(record.hash)}`;
  const p = record.params;
  if (p.algorithm === "argon2id") {
    return `$argon2id$v=19$m=${p.memoryKiB},t=${p.iterations},p=${p.parallelism}$${tail}`;
  }
  return `$scrypt$ln=${p.logN},r=${p.r},p=${p.p}$${tail}`;
}

/**
 * Parses a PHC string strictly: supported algorithm, exact fields in order, canonical numbers
 * and base64, every value within HASH_LIMITS. Messages never quote the salt or hash.
 *
 * @throws {SyntaxError} when the string is malformed
 * @throws {RangeError} when the algorithm is unsupported or a value is out of bounds
 */
export function parsePhc(phc: string): PhcRecord {
  if (phc.length > MAX_PHC_LENGTH) {
    throw new RangeError(`Cannot parse PHC string: longer than ${MAX_PHC_LENGTH} characters`);
  }
  const parts = phc.split("$");
  if (parts[0] !== "" || parts.length < 2) {
    throw new SyntaxError('Cannot parse PHC string: it does not start with "$"');
  }
  const algorithm = parts[1] ?? "";
  if (algorithm === "argon2id") return parseArgon2id(parts);
  if (algorithm === "scrypt") return parseScrypt(parts);
  const shown = /^[a-z0-9-]{1,32}$/.test(algorithm) ? `"${algorithm}"` : "(invalid)";
  throw new RangeError(`Cannot parse PHC string: unsupported algorithm ${shown}`);
}

function parseArgon2id(parts: string[]): PhcRecord {
  if (parts.length !== 6 || parts[2] !== "v=19") {
    throw new SyntaxError(
      'Cannot parse PHC string: expected "$argon2id$v=19$m=…,t=…,p=…$salt$hash"',
    );
  }
  const [m = "", t = "", p = ""] = splitParams(parts[3] ?? "", ["m", "t", "p"], "argon2id PHC");
  const limits = HASH_LIMITS.argon2id;
  const params: HashParams = {
    algorithm: "argon2id",
    memoryKiB: parseBoundedInt(m, "argon2id memoryKiB", ...limits.memoryKiB),
    iterations: parseBoundedInt(t, "argon2id iterations", ...limits.iterations),
    parallelism: parseBoundedInt(p, "argon2id parallelism", ...limits.parallelism),
  };
  return finish(params, parts[4] ?? "", parts[5] ?? "");
}

function parseScrypt(parts: string[]): PhcRecord {
  if (parts.length !== 5) {
    throw new SyntaxError('Cannot parse PHC string: expected "$scrypt$ln=…,r=…,p=…$salt$hash"');
  }
  const [ln = "", r = "", p = ""] = splitParams(parts[2] ?? "", ["ln", "r", "p"], "scrypt PHC");
  const limits = HASH_LIMITS.scrypt;
  const params: HashParams = {
    algorithm: "scrypt",
    logN: parseBoundedInt(ln, "scrypt logN", ...limits.logN),
    r: parseBoundedInt(r, "scrypt r", ...limits.r),
    p: parseBoundedInt(p, "scrypt p", ...limits.p),
  };
  return finish(params, parts[3] ?? "", parts[4] ?? "");
}

function finish(params: HashParams, salt: string, hash: string): PhcRecord {
  assertHashParams(params);
  return {
    params,
    salt: decodeB64(salt, "PHC salt", ...HASH_LIMITS.saltBytes),
    hash: decodeB64(hash, "PHC hash", ...HASH_LIMITS.hashBytes),
  };
}
