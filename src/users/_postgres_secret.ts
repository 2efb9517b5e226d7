/**
 * The server secret kept in a PostgreSQL user store's database (`burrow_server_secret`, one row),
 * so that every server of one service keys the fake KDF salts of unknown names alike: a name
 * then gets the same answer whichever server is asked. The first server to start writes the
 * secret it would have used; every later one reads that one.
 *
 * @module
 */
import type { Sql } from "postgres";
import { SCHEMA_LOCK_KEY } from "./_postgres_schema.ts";

/** The table that holds the one secret. */
export const SECRET_TABLE = "burrow_server_secret";
/** Bytes of the secret. */
export const SECRET_BYTES = 32;

/**
 * The stored secret, storing `fresh` (32 random bytes) first when there is none. Runs under the
 * schema's advisory lock, so servers starting at once agree on one secret.
 *
 * @throws {RangeError} when the stored secret is not 32 bytes (it was changed by hand)
 */
export function sharedSecret(sql: Sql, fresh: Uint8Array): Promise<Uint8Array> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY})`;
    await tx.unsafe(`CREATE TABLE IF NOT EXISTS ${SECRET_TABLE} (
      id smallint PRIMARY KEY CHECK (id = 1),
      secret bytea NOT NULL
    )`);
    await tx`INSERT INTO burrow_server_secret (id, secret) VALUES (1, ${fresh})
      ON CONFLICT (id) DO NOTHING`;
    const [row] = await tx`SELECT secret FROM burrow_server_secret WHERE id = 1`;
    const secret = new Uint8Array(row!.secret as Uint8Array);
    if (secret.length !== SECRET_BYTES) {
      throw new RangeError(
        `${SECRET_TABLE} holds ${secret.length} bytes, not ${SECRET_BYTES}: it was changed by hand`,
      );
    }
    return secret;
  });
}
