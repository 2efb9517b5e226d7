/**
 * The server's own secret: 32 random bytes kept in DATA/server.secret (mode 0600), made on first
 * start, or in the user store when several servers share it (`UserStore.sharedSecret`). It keys
 * the fake KDF salts sent for unknown user names, so they are stable across restarts (and
 * servers) and cannot be told from real ones.
 *
 * @module
 */
import { makeDirDurable, writeFileAtomic } from "../atomic_file.ts";
import { ConfigError } from "../errors.ts";
import type { UserStore } from "../users/user_store.ts";

const SECRET_BYTES = 32;

/**
 * The secret of a server whose accounts are in `store`: the store's shared one where it has
 * one, else DATA/server.secret.
 */
export async function serverSecretFor(store: UserStore, dataDir: string): Promise<Uint8Array> {
  if (store.sharedSecret === undefined) return await loadServerSecret(dataDir);
  return await store.sharedSecret(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/** Loads DATA/server.secret, creating it on first use. @throws {ConfigError} on a damaged file */
export async function loadServerSecret(dataDir: string): Promise<Uint8Array> {
  const path = `${dataDir}/server.secret`;
  try {
    return checkSecret(await Deno.readFile(path), path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await makeDirDurable(dataDir);
  const secret = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
  try {
    await writeFileAtomic(path, secret, { mode: 0o600, createNew: true });
    return secret;
  } catch (error) {
    // Another process made it first: use theirs, so every process agrees.
    if (error instanceof Deno.errors.AlreadyExists) {
      return checkSecret(await Deno.readFile(path), path);
    }
    throw error;
  }
}

function checkSecret(bytes: Uint8Array, path: string): Uint8Array {
  if (bytes.length !== SECRET_BYTES) {
    throw new ConfigError(
      `Cannot use server secret "${path}": expected ${SECRET_BYTES} bytes, found ${bytes.length}`,
    );
  }
  return bytes;
}
