/**
 * Authentication: client-side key derivation, server-side password hashing, and rate limits
 * for logins and signups.
 *
 * The password never leaves the client. At login the server sends the user's client KDF
 * (Argon2id parameters and a random salt; a stable fake one derived from a server secret for
 * unknown names, so names cannot be probed). The client derives a master secret with Argon2id,
 * then with HKDF-SHA256 an auth key, which it sends, and a key-encryption key, which it keeps
 * for wrapping the repository master key.
 *
 * The server stores only a PHC string of the auth key (`$argon2id$…` by default, `$scrypt$…`
 * also verified), compares hashes in constant time, and upgrades a PHC string whose parameters
 * differ from the configured ones on the next successful login. Hashing runs in a worker pool
 * ({@link HashPool}) so a login never blocks the event loop. Every string read from the network
 * or a store is parsed strictly and bounded before use; no error message carries a secret.
 *
 * @module
 */

export {
  assertClientKdf,
  assertClientKdfParams,
  CLIENT_KDF_LIMITS,
  CLIENT_SALT_BYTES,
  type ClientKdf,
  clientKdfMeetsFloor,
  type ClientKdfParams,
  DEFAULT_CLIENT_KDF_PARAMS,
  encodeClientKdf,
  fakeClientKdf,
  newClientKdf,
  parseClientKdf,
} from "./client_kdf.ts";
export { CLIENT_KEY_BYTES, type ClientKeys, deriveClientKeys } from "./client_keys.ts";
export {
  type Argon2idHashParams,
  assertHashParams,
  DEFAULT_HASH_PARAMS,
  HASH_LIMITS,
  HASH_OUTPUT_BYTES,
  HASH_SALT_BYTES,
  type HashParams,
  type ScryptHashParams,
} from "./hash_params.ts";
export { hashSecret, MAX_SECRET_BYTES, needsRehash, verifySecret } from "./password_hash.ts";
export { HashPool, type HashPoolOptions } from "./hash_pool.ts";
export {
  type Attempt,
  type AttemptDecision,
  LoginRateLimiter,
  type LoginRateLimiterOptions,
} from "./login_rate_limiter.ts";
export {
  DEFAULT_SIGNUPS_PER_HOUR,
  MAX_SIGNUPS_PER_HOUR,
  SignupLimiter,
  type SignupLimiterOptions,
} from "./signup_limiter.ts";
export { type RandomBytes, secureRandomBytes } from "./random_bytes.ts";
export {
  checkNewPassword,
  DEFAULT_MIN_PASSWORD_LENGTH,
  MAX_MIN_PASSWORD_LENGTH,
  passwordLength,
  temporaryPasswordRefusal,
} from "./password_policy.ts";
