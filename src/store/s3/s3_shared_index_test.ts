/**
 * Several S3 chunk stores on one prefix sharing a PostgreSQL chunk index, as several servers of
 * one service do (ignored without both a test S3 service and a test PostgreSQL server).
 */
import assert from "node:assert/strict";
import { S3ChunkStore } from "./s3_chunk_store.ts";
import { reportIgnored } from "../../../tests/_postgres.ts";
import { SHARED_REPO, sharedStoreMissing, sharedStoreTest } from "../../../tests/_shared_store.ts";
import { makeChunks } from "../../../tests/conformance/_chunk_data.ts";
import { IdSet } from "../../format/id_set.ts";
import { PostgresChunkIndex } from "../postgres/postgres_chunk_index.ts";
import { packKey } from "./_s3_layout.ts";

reportIgnored("s3_shared_index_test.ts", sharedStoreMissing);

sharedStoreTest(
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

sharedStoreTest(
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

sharedStoreTest(
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

sharedStoreTest(
  "S3ChunkStore with a shared index aborts only old unfinished uploads at open",
  async (s) => {
    const fresh = packKey(s.prefix, "ab".repeat(16));
    await s.objects.startUpload(fresh);
    const store = await s.open();
    await store.close();
    const left = await Array.fromAsync(s.objects.listUploads(s.prefix));
    assert.deepEqual(left.map((upload) => upload.key), [fresh], "another server's upload is kept");
    const old = await S3ChunkStore.open(s.objects, s.prefix, {
      shared: new PostgresChunkIndex(s.sql, SHARED_REPO),
      uploadAgeMs: -60_000,
    });
    await old.close();
    assert.deepEqual(await Array.fromAsync(s.objects.listUploads(s.prefix)), []);
  },
);
