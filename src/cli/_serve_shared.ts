/**
 * Several `burrow serve` processes as one service: with `--users postgres://…` and `--store
 * s3://…`, each repository's snapshot records, wrapped keys and chunk index live in the same
 * PostgreSQL database as the accounts (`store/postgres/`), so every server sees what any other
 * committed, and each server's memory holds only caches it rebuilds from there.
 *
 * @module
 */
import { errorMessage, StoreError } from "../errors.ts";
import { ensureRepositorySchema, repositoryKey } from "../store/postgres/_repository_schema.ts";
import { PostgresChunkIndex } from "../store/postgres/postgres_chunk_index.ts";
import { PostgresRecords } from "../store/postgres/postgres_records.ts";
import type { RepositoryAccount } from "../store/repository_owner.ts";
import type { SharedChunkIndex } from "../store/chunk_index_shared.ts";
import type { ServiceGate } from "../store/prune_gate.ts";
import { PostgresLocks } from "../store/postgres/postgres_gate.ts";
import type { RecordsOpener } from "../store/user_repository.ts";
import { connectPostgres, scrubError } from "../users/postgres_user_store.ts";
import { parsePostgresUrl, redactStoreSpec } from "../users/postgres_url.ts";

/** The repositories' part of the database, as the server uses it. */
export interface SharedRepositories {
  openRecords: RecordsOpener;
  /** The push/prune gate of `account`'s repository across the servers. */
  serviceGate(account: RepositoryAccount): ServiceGate;
  /** The chunk index of `account`'s repository. */
  chunkIndex(account: RepositoryAccount): SharedChunkIndex;
  close(): Promise<void>;
}

/**
 * Connects to the database of the postgres STORE string `usersSpec` and creates the
 * repositories' tables when missing.
 * @throws {StoreError} when the database cannot be reached, or its tables are newer than this
 *   burrow knows; the message holds no password
 */
export async function connectSharedRepositories(
  usersSpec: string,
  password: string | undefined,
): Promise<SharedRepositories> {
  const target = parsePostgresUrl(usersSpec);
  const secret = password ?? target.password;
  const sql = connectPostgres(target, secret);
  const label = redactStoreSpec(usersSpec);
  try {
    const newer = await ensureRepositorySchema(sql);
    if (newer !== null) {
      throw new StoreError(
        `Cannot keep repositories in "${label}": their schema version ${newer} is newer than this burrow supports`,
      );
    }
  } catch (error) {
    await sql.end({ timeout: 5 });
    if (error instanceof StoreError) throw error;
    const scrubbed = scrubError(error, secret);
    throw new StoreError(`Cannot keep repositories in "${label}": ${errorMessage(scrubbed)}`, {
      cause: scrubbed,
    });
  }
  const keyOf = (account: RepositoryAccount) => repositoryKey(account.user, account.created);
  const locks = new PostgresLocks(sql);
  return {
    serviceGate: (account) => locks.gate(keyOf(account)),
    openRecords: (_dir, account) => Promise.resolve(new PostgresRecords(sql, keyOf(account))),
    chunkIndex: (account) => new PostgresChunkIndex(sql, keyOf(account)),
    close: async () => {
      await locks.close();
      await sql.end({ timeout: 5 });
    },
  };
}
