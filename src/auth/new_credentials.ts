/**
 * Credentials made from a password for a new account or a new password: a fresh random KDF salt,
 * the derived auth key (the only thing sent or stored, as a PHC verifier) and key-encryption key.
 *
 * @module
 */
import { type ClientKdf, encodeClientKdf, newClientKdf } from "./client_kdf.ts";
import { deriveClientKeys } from "./client_keys.ts";

/** What a client sends when it sets a password, plus the key it keeps. */
export interface NewCredentials {
  /** Encoded client KDF parameters and salt (`encodeClientKdf`). */
  kdf: string;
  /** 32-byte auth key: sent to the server, which stores only a PHC hash of it. */
  authKey: Uint8Array;
  /** 32-byte key-encryption key: never leaves the client. */
  keyEncryptionKey: Uint8Array;
}

/** Derives credentials for `password` with a fresh salt and the given KDF parameters. */
export async function newCredentials(
  password: string,
  params?: Omit<ClientKdf, "salt">,
): Promise<NewCredentials> {
  const kdf = newClientKdf(params);
  const keys = await deriveClientKeys(password, kdf);
  return { kdf: encodeClientKdf(kdf), ...keys };
}
