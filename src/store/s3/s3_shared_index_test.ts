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

sharedStoreTest(
  "S3ChunkStore with a shared index: a read of a pack another store replaced finds the blob anew",
  async (s) => {
    const a = await s.open({ packTargetBytes: 20_000 });
    const chunks = makeChunks(24, (i) => 3000 + i);
    for (const [id, blob] of chunks) await a.put(id, blob);
    await a.flush();
    const b = await s.open();
    await b.delete(chunks.filter((_, i) => i % 3 === 0).map(([id]) => id));
    // a has not refreshed: its index still names the packs b replaced and removed.
    for (const [id, blob] of chunks.filter((_, i) => i % 3 !== 0)) {
      assert.deepEqual(await a.get(id), blob);
    }
    assert.equal(a.damaged, 0);
    const [held] = await s.sql`SELECT count(*) AS n FROM burrow_quarantine`;
    assert.equal(Number(held!.n), 0, "no healthy blob set aside");
    await Promise.all([a.close(), b.close()]);
  },
);

sharedStoreTest(
  "S3ChunkStore with a shared index: a blob set aside on one store is dropped by every store",
  async (s) => {
    const a = await s.open();
    const chunks = makeChunks(8, (i) => 700 + i);
    for (const [id, blob] of chunks) await a.put(id, blob);
    await a.flush();
    const b = await s.open();
    assert.equal(b.has(chunks[0]![0]), true, "precondition: b lists it");
    // Two stores set blobs aside at once: neither loses the other's.
    assert.deepEqual(
      await Promise.all([a.markDamaged([chunks[0]![0]]), b.markDamaged([chunks[1]![0]])]),
      [1, 1],
    );
    await Promise.all([a.refresh(), b.refresh()]);
    for (const store of [a, b]) {
      assert.equal(store.has(chunks[0]![0]), false);
      assert.equal(store.has(chunks[1]![0]), false);
    }
    const c = await s.open();
    assert.equal(c.has(chunks[0]![0]), false, "not loaded again at open");
    assert.equal(c.has(chunks[1]![0]), false);
    assert.equal(c.size, chunks.length - 2);
    // A push stores them anew, and every store serves the new copies.
    assert.equal(await c.put(chunks[0]![0], chunks[0]![1]), true);
    assert.equal(await c.put(chunks[1]![0], chunks[1]![1]), true);
    await c.flush();
    await a.refresh();
    for (const [id, blob] of chunks) assert.deepEqual(await a.get(id), blob);
    await Promise.all([a.close(), b.close(), c.close()]);
    assert.equal(await s.rows(), chunks.length);
    const [held] = await s.sql`SELECT count(*) AS n FROM burrow_quarantine`;
    assert.equal(Number(held!.n), 2);
  },
);

for (
  const step of [
    "repack:copied",
    "repack:committed",
    "repack:indexes-removed",
    "repack:packs-removed",
  ]
) {
  sharedStoreTest(
    `S3ChunkStore with a shared index: a delete cut off at ${step} loses nothing; the next prune tidies up`,
    async (s) => {
      const chunks = makeChunks(40, (i) => 2000 + i);
      const first = await s.open({ packTargetBytes: 20_000 });
      for (const [id, blob] of chunks) await first.put(id, blob);
      await first.close();
      const crash = (at: string) => {
        if (at === step) throw new Error(`crash at ${at}`);
      };
      const store = await s.open({ checkpoint: crash });
      const doomed = chunks.filter((_, i) => i % 4 === 0);
      await assert.rejects(() => store.delete(doomed.map(([id]) => id)));
      await store.close().catch(() => {});

      // Another server: every blob not deleted reads back, from wherever the index says.
      const other = await s.open();
      for (const [id, blob] of chunks) {
        if (doomed.some(([d]) => d === id) && !other.has(id)) continue;
        assert.deepEqual(await other.get(id), blob);
      }
      const live = IdSet.from(chunks.map(([id]) => id).filter((id) => other.has(id)));
      await other.prune(live, { maxUnusedPercent: 100, dryRun: false });
      assert.deepEqual(await Array.fromAsync(s.objects.list(`${s.prefix}journal/`)), []);
      const listed = new Set(
        (await s.sql`SELECT name FROM burrow_packs`).map((row) => row.name as string),
      );
      const objects = (await Array.fromAsync(s.objects.list(`${s.prefix}packs/`))).map((o) =>
        o.key.slice(`${s.prefix}packs/`.length, -".pack".length)
      );
      assert.deepEqual(
        objects.sort(),
        [...listed].sort(),
        "every pack object is listed, and only those",
      );
      for (const [id, blob] of chunks) {
        if (other.has(id)) assert.deepEqual(await other.get(id), blob);
      }
      await other.close();
    },
  );
}
