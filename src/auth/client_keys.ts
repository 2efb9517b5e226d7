/**
 * Client-side key derivation: password → Argon2id master secret → HKDF-SHA256 auth key and
 * key-encryption key. Only the auth key ever leaves the client.
 *
 * @module
 */

import { primitives } from "#primitives";
import { argon2id } from "hash-wasm";
import { assertClientKdf, type ClientKdf } from "./client_kdf.ts";

/** The two keys a client derives from its password. */
export interface ClientKeys {
  /** Sent to the server at login; the server stores only a PHC hash of it. */
  authKey: Uint8Array;
  /** Never sent: wraps the repository master key. */
  keyEncryptionKey: Uint8Array;
}

/** Bytes of each derived key and of the Argon2id master secret. */
export const CLIENT_KEY_BYTES = 32;

const AUTH_KEY_INFO = new TextEncoder().encode("burrow v1 auth key");
const KEK_INFO = new TextEncoder().encode("burrow v1 key encryption key");
const NO_SALT = new Uint8Array(0);

/**
 * Derives the auth key and the key-encryption key from a password. The password is
 * NFC-normalised and UTF-8 encoded; master = Argon2id(password, kdf.salt, kdf params, 32 bytes);
 * each key = HKDF-SHA256(master, no salt, info, 32 bytes) with info "burrow v1 auth key" or
 * "burrow v1 key encryption key". Changing any of this locks every user out: the output is
 * pinned by a test vector.
 *
 * @throws {RangeError} when the KDF is out of bounds
 */
export async function deriveClientKeys(password: string, kdf: ClientKdf): Promise<ClientKeys> {
  assertClientKdf(kdf);
  const passwordBytes = new TextEncoder().encode(password.normalize("NFC"));
  const master = await argon2id({
    password: passwordBytes,
    salt: kdf.salt,
    iterations: kdf.iterations,
    parallelism: kdf.parallelism,
    memorySize: kdf.memoryKiB,
    hashLength: CLIENT_KEY_BYTES,
    outputType: "binary",
  });
  try {
    return {
      authKey: hkdfSha256(master, AUTH_KEY_INFO),
      keyEncryptionKey: hkdfSha256(master, KEK_INFO),
    };
  } finally {
    master.fill(0);
    passwordBytes.fill(0);
  }
}

/**
 * HKDF-SHA256(master, no salt, info, 32 bytes). An empty salt is RFC 5869's default, a hash's
 * length of zero bytes: HMAC pads both to the same key.
 */
function hkdfSha256(master: Uint8Array, info: Uint8Array): Uint8Array {
  return primitives.hkdfSha256(master, NO_SALT, info, CLIENT_KEY_BYTES);
}
