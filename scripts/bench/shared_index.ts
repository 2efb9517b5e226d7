/**
 * What the shared index of several servers costs in PostgreSQL: rows and bytes per stored chunk
 * and per user, and, for one user with 1,000,000 chunks (rows inserted directly), the time a
 * server takes to load them at open, to read newer batches before a `list_chunks` (nothing new,
 * and one new pack), and to list every id from memory in `list_chunks` pages.
 *
 * Needs PostgreSQL (`BURROW_TEST_POSTGRES_URL`, a role that may create databases; a scratch
 * database is made and dropped) and S3 (the environment `scripts/scaleout/ceph-rgw-up.sh` prints;
 * only the empty prefix is read).
 *
 * Usage: deno run -A scripts/bench/shared_index.ts [--out DIR] [--quick]   (1,000,000 chunks;
 *        100,000 quick)
 *
 * @module
 */
import postgres from "postgres";
import { createTestDatabase } from "../../tests/_postgres.ts";
import { freshPrefix, removePrefix, testObjectStore } from "../../tests/_s3_env.ts";
import {
  ensureRepositorySchema,
  repositoryKey,
} from "../../src/store/postgres/_repository_schema.ts";
import { PostgresChunkIndex } from "../../src/store/postgres/postgres_chunk_index.ts";
import { PostgresRecords } from "../../src/store/postgres/postgres_records.ts";
import { S3ChunkStore } from "../../src/store/s3/s3_chunk_store.ts";
import { newResult, parseBenchArgs, progress, round, runBench } from "./_bench_result.ts";

const options = parseBenchArgs();
const result = newResult("shared_index");
const CHUNKS = options.quick ? 100_000 : 1_000_000;
/** Chunks per pack: 32 MiB packs of chunks of about 1 MiB. */
const PER_PACK = 32;
const REPO = repositoryKey("alice", "2026-01-01T00:00:00.000Z");

const ms = (start: number) => round(performance.now() - start, 0);

await runBench(options, result, async () => {
  const db = await createTestDatabase();
  const sql = postgres(db.url, { onnotice: false, max: 4 });
  const objects = await testObjectStore();
  const prefix = freshPrefix("bench-shared");
  try {
    await ensureRepositorySchema(sql);
    progress(`inserting ${CHUNKS} chunk rows`);
    await sql`INSERT INTO burrow_repositories (repo, seq, epoch) VALUES (${REPO}, 1, 0)`;
    await sql`INSERT INTO burrow_packs (repo, name, version, size, seq)
      SELECT ${REPO}, md5(p::text), 2, 33554432, 1
      FROM generate_series(0, ${Math.ceil(CHUNKS / PER_PACK) - 1}) AS p`;
    await sql`INSERT INTO burrow_chunks (repo, id, pack, "offset", length, seq)
      SELECT ${REPO}, decode(md5(i::text) || md5((-i)::text), 'hex'), md5((i / ${PER_PACK})::text),
        (i % ${PER_PACK}) * 1048600, 1048576, 1
      FROM generate_series(0, ${CHUNKS - 1}) AS i`;
    const records = new PostgresRecords(sql, REPO);
    for (let i = 0; i < 100; i++) {
      await records.writeSnapshot(i.toString(16).padStart(16, "0"), new Uint8Array(4096));
    }
    await records.writeKey("kdf", new Uint8Array(120), { createNew: true });
    await sql`VACUUM ANALYZE`;
    const size = async (table: string) =>
      Number((await sql`SELECT pg_total_relation_size(${table}) AS n`)[0]!.n);
    const chunkBytes = await size("burrow_chunks");
    const packBytes = await size("burrow_packs");
    result.rows.push(
      { label: "chunk rows", value: CHUNKS, unit: "rows" },
      {
        label: "burrow_chunks per chunk (table + indexes)",
        value: round(chunkBytes / CHUNKS, 0),
        unit: "B",
      },
      { label: "burrow_packs per chunk", value: round(packBytes / CHUNKS, 1), unit: "B" },
      {
        label: "per user: 100 snapshot records of 4 KiB and one key",
        value: round((await size("burrow_snapshots")) / 1024, 0),
        unit: "KiB",
      },
    );

    progress("opening a store on the shared index");
    let start = performance.now();
    const changes = await new PostgresChunkIndex(sql, REPO).changesSince(null);
    result.rows.push({ label: "read all rows (changesSince(null))", value: ms(start), unit: "ms" });
    if (changes.rows.length !== CHUNKS) throw new Error(`read ${changes.rows.length} rows`);
    start = performance.now();
    const store = await S3ChunkStore.open(objects, prefix, {
      shared: new PostgresChunkIndex(sql, REPO),
    });
    result.rows.push({ label: "open: load into memory", value: ms(start), unit: "ms" });
    if (store.size !== CHUNKS) throw new Error(`loaded ${store.size} chunks`);
    start = performance.now();
    await store.refresh();
    result.rows.push({ label: "refresh, nothing new", value: ms(start), unit: "ms" });
    await sql`UPDATE burrow_repositories SET seq = 2 WHERE repo = ${REPO}`;
    await sql`INSERT INTO burrow_packs (repo, name, version, size, seq)
      VALUES (${REPO}, ${"f".repeat(32)}, 2, 33554432, 2)`;
    await sql`INSERT INTO burrow_chunks (repo, id, pack, "offset", length, seq)
      SELECT ${REPO}, decode(md5(('n' || i)::text) || md5(i::text), 'hex'), ${"f".repeat(32)},
        i * 1048600, 1048576, 2 FROM generate_series(0, 31) AS i`;
    start = performance.now();
    await store.refresh();
    result.rows.push({ label: "refresh, one new pack of 32", value: ms(start), unit: "ms" });
    start = performance.now();
    const page = new Uint8Array(65_536 * 32);
    let listed = 0;
    let after: Uint8Array | undefined;
    for (;;) {
      const { count, more } = store.listInto(after, page);
      listed += count;
      after = page.slice((count - 1) * 32, count * 32);
      if (!more) break;
    }
    result.rows.push({ label: "list every id (65,536 per page)", value: ms(start), unit: "ms" });
    if (listed !== CHUNKS + 32) throw new Error(`listed ${listed} ids`);
    await store.close();
  } finally {
    await sql.end();
    await db.drop();
    await removePrefix(objects, prefix);
    objects.close();
  }
}, [`${CHUNKS} chunks of one user, ${PER_PACK} per pack; PostgreSQL 15 on the same machine`]);
