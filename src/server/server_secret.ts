/**
 * The server's own secret: 32 random bytes kept in DATA/server.secret (mode 0600), made on first
 * start. It keys the fake KDF salts sent for unknown user names, so they are stable across
 * restarts and cannot be told from real ones.
 *
 * @module
 */
import { makeDirDurable, writeFileAtomic } from "../atomic_file.ts";
import { ConfigError } from "../errors.ts";

const SECRET_BYTES = 32;

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
