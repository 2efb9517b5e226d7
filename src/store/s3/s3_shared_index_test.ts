/**
 * Several S3 chunk stores on one prefix sharing a PostgreSQL chunk index, as several servers of
 * one service do (ignored without both a test S3 service and a test PostgreSQL server).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { S3ChunkStore } from "./s3_chunk_store.ts";
import { freshPrefix, removePrefix, s3Problem, testObjectStore } from "../../../tests/_s3_env.ts";
import {
  postgresMissing,
  reportIgnored,
  type TestDatabase,
  withTestDatabase,
} from "../../../tests/_postgres.ts";
import { makeChunks } from "../../../tests/conformance/_chunk_data.ts";
import { IdSet } from "../../format/id_set.ts";
import { ensureRepositorySchema, repositoryKey } from "../postgres/_repository_schema.ts";
import { PostgresChunkIndex } from "../postgres/postgres_chunk_index.ts";
import { packKey } from "./_s3_layout.ts";
import type { ObjectStore } from "./object_store.ts";

reportIgnored("s3_shared_index_test.ts", postgresMissing ?? s3Problem);
const ignore = postgresMissing !== null || s3Problem !== null;
const REPO = repositoryKey("alice", "2026-01-01T00:00:00.000Z");

interface Shared {
  objects: ObjectStore;
  prefix: string;
  sql: postgres.Sql;
  /** Opens another store on the prefix, as another server would. */
  open(): Promise<S3ChunkStore>;
  rows(): Promise<number>;
}

function sharedTest(name: string, body: (shared: Shared) => Promise<void>): void {
  Deno.test({
    name,
    ignore,
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
            open: () =>
              S3ChunkStore.open(objects, prefix, { shared: new PostgresChunkIndex(sql, REPO) }),
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

sharedTest(
  "S3ChunkStore with a shared index sees what another store flushed after refresh()",
  async (s) => {
    const a = await s.open();
    const b = await s.open();
    const chunks = makeChunks(20, (i) => 500 + i * 11);
    for (const [id, blob] of chunks) await a.put(id, blob);
    await a.flush();
    assert.equal(b.has(chunks[0]![0]), false, "precondition: b loaded before a stored");
    // A get of an id b does not know yet looks in the shared index first.
    assert.deepEqual(await b.get(chunks[3]![0]), chunks[3]![1]);
    await b.refresh();
    assert.equal(b.size, chunks.length);
    for (const [id, blob] of chunks) assert.equal(await b.put(id, blob), false);
    await Promise.all([a.close(), b.close()]);
    const c = await s.open();
    assert.equal(c.size, chunks.length);
    for (const [id, blob] of chunks) assert.deepEqual(await c.get(id), blob);
    await c.close();
    assert.equal(await s.rows(), chunks.length);
  },
);

sharedTest(
  "S3ChunkStore with a shared index keeps one location of a blob two stores stored",
  async (s) => {
    const a = await s.open();
    const b = await s.open();
    const chunks = makeChunks(10, (i) => 800 + i);
    for (const [id, blob] of chunks) {
      assert.equal(await a.put(id, blob), true);
      assert.equal(await b.put(id, blob), true);
    }
    await Promise.all([a.flush(), b.flush()]);
    assert.equal(await s.rows(), chunks.length, "one row per id");
    // The duplicate pack holds no located blob: a prune with everything live removes it.
    const live = IdSet.from(chunks.map(([id]) => id));
    const report = await a.prune(live, { maxUnusedPercent: 0, dryRun: false });
    assert.equal(report.packsBefore, 2);
    assert.equal(report.packsAfter, 1);
    assert.equal(report.blobsRemoved, 0);
    assert.equal((await Array.fromAsync(s.objects.list(`${s.prefix}packs/`))).length, 1);
    await b.refresh();
    for (const [id, blob] of chunks) assert.deepEqual(await b.get(id), blob);
    await Promise.all([a.close(), b.close()]);
    const c = await s.open();
    for (const [id, blob] of chunks) assert.deepEqual(await c.get(id), blob);
    await c.close();
  },
);

sharedTest(
  "S3ChunkStore with a shared index: a delete on one store reaches the others",
  async (s) => {
    const a = await s.open();
    const chunks = makeChunks(12, (i) => 600 + i);
    for (const [id, blob] of chunks) await a.put(id, blob);
    await a.flush();
    const b = await s.open();
    assert.equal(b.size, chunks.length);
    await a.delete(chunks.slice(0, 4).map(([id]) => id));
    await b.refresh();
    assert.equal(b.size, chunks.length - 4);
    assert.equal(b.has(chunks[0]![0]), false);
    for (const [id, blob] of chunks.slice(4)) assert.deepEqual(await b.get(id), blob);
    await Promise.all([a.close(), b.close()]);
    assert.equal(await s.rows(), chunks.length - 4);
  },
);

sharedTest(
  "S3ChunkStore with a shared index aborts only old unfinished uploads at open",
  async (s) => {
    const fresh = packKey(s.prefix, "ab".repeat(16));
    await s.objects.startUpload(fresh);
    const store = await s.open();
    await store.close();
    const left = await Array.fromAsync(s.objects.listUploads(s.prefix));
    assert.deepEqual(left.map((upload) => upload.key), [fresh], "another server's upload is kept");
    const old = await S3ChunkStore.open(s.objects, s.prefix, {
      shared: new PostgresChunkIndex(s.sql, REPO),
      uploadAgeMs: -60_000,
    });
    await old.close();
    assert.deepEqual(await Array.fromAsync(s.objects.listUploads(s.prefix)), []);
  },
);
