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
import { RetiredRepositories } from "../store/postgres/postgres_retired.ts";
import { type SharedUsage, sharedUsage } from "../store/postgres/postgres_usage.ts";
import type { RecordsOpener } from "../store/user_repository.ts";
import { connectPostgres, scrubError } from "../users/postgres_user_store.ts";
import { parsePostgresUrl, redactStoreSpec } from "../users/postgres_url.ts";

/** The repositories' part of the database, as the server and the admin commands use it. */
export interface SharedRepositories {
  openRecords: RecordsOpener;
  /** The push/prune gate of `account`'s repository across the servers. */
  serviceGate(account: RepositoryAccount): ServiceGate;
  /** The chunk index of `account`'s repository. */
  chunkIndex(account: RepositoryAccount): SharedChunkIndex;
  /** The advisory locks of this process (one connection). */
  locks: PostgresLocks;
  /** The repositories whose account was removed. */
  retired: RetiredRepositories;
  /** The usage of the repositories of `accounts`, by user name (`sharedUsage`). */
  usage(accounts: readonly { name: string; created: string }[]): Promise<Map<string, SharedUsage>>;
  close(): Promise<void>;
}

/**
 * Connects to the database of the postgres STORE string `usersSpec` and creates the
 * repositories' tables when missing (unless `create` is false), or migrates older ones.
 * @returns null when the tables are missing and `create` is false (nothing was changed)
 * @throws {StoreError} when the database cannot be reached, or its tables are newer than this
 *   burrow knows; the message holds no password
 */
export async function connectSharedRepositories(
  usersSpec: string,
  password: string | undefined,
  options: { create?: boolean } = {},
): Promise<SharedRepositories | null> {
  const target = parsePostgresUrl(usersSpec);
  const secret = password ?? target.password;
  const sql = connectPostgres(target, secret);
  const label = redactStoreSpec(usersSpec);
  try {
    const state = await ensureRepositorySchema(sql, options);
    if (state.kind === "newer") {
      throw new StoreError(
        `Cannot keep repositories in "${label}": their schema version ${state.version} is newer than this burrow supports`,
      );
    }
    if (state.kind === "missing") {
      await sql.end({ timeout: 5 });
      return null;
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
    locks,
    retired: new RetiredRepositories(sql),
    usage: (accounts) => sharedUsage(sql, accounts),
    close: async () => {
      await locks.close();
      await sql.end({ timeout: 5 });
    },
  };
}
