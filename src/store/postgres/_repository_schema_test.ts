/**
 * The shared repositories' schema on a real PostgreSQL: created at version 2, migrated from
 * version 1 keeping every row, refused when newer, and left alone when missing and not to be
 * created. Ignored without a test server.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import {
  postgresMissing,
  reportIgnored,
  type TestDatabase,
  withTestDatabase,
} from "../../../tests/_postgres.ts";
import { ensureRepositorySchema, REPOSITORIES_VERSION } from "./_repository_schema.ts";

reportIgnored("_repository_schema_test.ts");

function schemaTest(name: string, body: (sql: postgres.Sql) => Promise<void>): void {
  Deno.test({
    name,
    ignore: postgresMissing !== null,
    fn: () =>
      withTestDatabase(async (db: TestDatabase) => {
        const sql = postgres(db.url, { onnotice: false, max: 2 });
        try {
          await body(sql);
        } finally {
          await sql.end();
        }
      }),
  });
}

const version = async (sql: postgres.Sql) =>
  Number(
    (await sql`SELECT version FROM burrow_schema WHERE component = 'repositories'`)[0]!.version,
  );

schemaTest("ensureRepositorySchema() creates nothing when told not to", async (sql) => {
  assert.deepEqual(await ensureRepositorySchema(sql, { create: false }), { kind: "missing" });
  const [row] = await sql`SELECT to_regclass('burrow_schema') IS NULL AS absent`;
  assert.equal(row!.absent, true);
  assert.deepEqual(await ensureRepositorySchema(sql), { kind: "ready" });
  assert.equal(await version(sql), REPOSITORIES_VERSION);
  assert.deepEqual(await ensureRepositorySchema(sql, { create: false }), { kind: "ready" });
});

schemaTest(
  "ensureRepositorySchema() migrates version 1, keeping rows and counting bytes",
  async (sql) => {
    await sql.unsafe(
      `CREATE TABLE burrow_schema (component text PRIMARY KEY, version integer NOT NULL);
    INSERT INTO burrow_schema VALUES ('repositories', 1);
    CREATE TABLE burrow_snapshots (repo text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL,
      record bytea NOT NULL, PRIMARY KEY (repo, id));
    CREATE TABLE burrow_keys (repo text COLLATE "C" NOT NULL, kdf_hash text COLLATE "C" NOT NULL,
      wrapped bytea NOT NULL, PRIMARY KEY (repo, kdf_hash));
    CREATE TABLE burrow_repositories (repo text COLLATE "C" PRIMARY KEY, seq bigint NOT NULL,
      epoch bigint NOT NULL);
    CREATE TABLE burrow_packs (repo text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL,
      version smallint NOT NULL, size bigint NOT NULL, seq bigint NOT NULL,
      PRIMARY KEY (repo, name));
    CREATE TABLE burrow_chunks (repo text COLLATE "C" NOT NULL, id bytea NOT NULL,
      pack text COLLATE "C" NOT NULL, "offset" bigint NOT NULL, length integer NOT NULL,
      seq bigint NOT NULL, PRIMARY KEY (repo, id));
    INSERT INTO burrow_repositories VALUES ('a/1', 1, 0);
    INSERT INTO burrow_chunks VALUES ('a/1', '\\x01', 'p', 0, 100, 1), ('a/1', '\\x02', 'p', 100, 23, 1);
    INSERT INTO burrow_snapshots VALUES ('a/1', '0123456789abcdef', '\\x00');`,
    );
    assert.deepEqual(await ensureRepositorySchema(sql, { create: false }), { kind: "ready" });
    assert.equal(await version(sql), REPOSITORIES_VERSION);
    const [repo] = await sql`SELECT stored_bytes FROM burrow_repositories WHERE repo = 'a/1'`;
    assert.equal(Number(repo!.stored_bytes), 123);
    const [old] = await sql`SELECT committed FROM burrow_snapshots`;
    assert.equal(old!.committed, null, "a record from before has no commit time");
    await sql`INSERT INTO burrow_snapshots (repo, id, record) VALUES ('a/1', 'fedcba9876543210', '\\x00')`;
    const [fresh] = await sql`SELECT committed FROM burrow_snapshots WHERE id = 'fedcba9876543210'`;
    assert.ok(fresh!.committed instanceof Date, "a new record gets its commit time");
    for (const table of ["burrow_retired", "burrow_quarantine"]) {
      const [row] = await sql`SELECT to_regclass(${table}) IS NOT NULL AS present`;
      assert.equal(row!.present, true, table);
    }
  },
);

schemaTest("ensureRepositorySchema() refuses a newer version and changes nothing", async (sql) => {
  await ensureRepositorySchema(sql);
  const newer = REPOSITORIES_VERSION + 1;
  await sql`UPDATE burrow_schema SET version = ${newer} WHERE component = 'repositories'`;
  assert.deepEqual(await ensureRepositorySchema(sql), { kind: "newer", version: newer });
  assert.equal(await version(sql), newer);
});
