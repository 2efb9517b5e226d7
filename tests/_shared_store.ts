/**
 * S3 chunk stores sharing a PostgreSQL chunk index, as the servers of one service open them, for
 * tests: a fresh database and a fresh prefix of the test bucket per test, removed afterwards.
 * Needs both test services; `sharedStoreMissing` says why when one is absent.
 *
 * @module
 */
import postgres from "postgres";
import { S3ChunkStore, type S3ChunkStoreOptions } from "../src/store/s3/s3_chunk_store.ts";
import type { ObjectStore } from "../src/store/s3/object_store.ts";
import { ensureRepositorySchema, repositoryKey } from "../src/store/postgres/_repository_schema.ts";
import { PostgresChunkIndex } from "../src/store/postgres/postgres_chunk_index.ts";
import { postgresMissing, type TestDatabase, withTestDatabase } from "./_postgres.ts";
import { freshPrefix, removePrefix, s3Problem, testObjectStore } from "./_s3_env.ts";

/** Why shared stores cannot be tested here, or null. */
export const sharedStoreMissing: string | null = postgresMissing ?? s3Problem;

/** The repository the stores hold. */
export const SHARED_REPO: string = repositoryKey("alice", "2026-01-01T00:00:00.000Z");

/** One repository's shared store. */
export interface SharedStore {
  objects: ObjectStore;
  prefix: string;
  sql: postgres.Sql;
  /** Opens another store on the prefix, as another server would. */
  open(options?: S3ChunkStoreOptions): Promise<S3ChunkStore>;
  /** Rows in the shared chunk index. */
  rows(): Promise<number>;
}

/** Registers a test with a fresh shared store, ignored without the test services. */
export function sharedStoreTest(name: string, body: (shared: SharedStore) => Promise<void>): void {
  Deno.test({
    name,
    ignore: sharedStoreMissing !== null,
    fn: () =>
      withTestDatabase(async (db: TestDatabase) => {
        const objects = await testObjectStore();
        const prefix = freshPrefix("shared");
        const sql = postgres(db.url, { onnotice: false, max: 4 });
        try {
          await ensureRepositorySchema(sql);
          await body({
            objects,
            prefix,
            sql,
            open: (options = {}) =>
              S3ChunkStore.open(objects, prefix, {
                ...options,
                shared: new PostgresChunkIndex(sql, SHARED_REPO),
              }),
            rows: async () => Number((await sql`SELECT count(*) AS n FROM burrow_chunks`)[0]!.n),
          });
        } finally {
          await sql.end();
          await removePrefix(objects, prefix);
          objects.close();
        }
      }),
  });
}
