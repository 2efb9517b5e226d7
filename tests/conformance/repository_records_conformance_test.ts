/**
 * Runs the RepositoryRecords conformance suite against the files of a repository folder and
 * against PostgreSQL (a fresh database of the server `BURROW_TEST_POSTGRES_URL` names; ignored
 * without it).
 *
 * @module
 */
import postgres from "postgres";
import { makeDirDurable } from "../../src/atomic_file.ts";
import { silentLogger } from "../../src/log.ts";
import { FileRecords } from "../../src/store/_file_records.ts";
import {
  ensureRepositorySchema,
  repositoryKey,
} from "../../src/store/postgres/_repository_schema.ts";
import { PostgresRecords } from "../../src/store/postgres/postgres_records.ts";
import { createTestDatabase, postgresMissing, reportIgnored } from "../_postgres.ts";
import { type RecordsFixture, repositoryRecordsSuite } from "./repository_records_suite.ts";

/** Records in two repository folders of a fresh temporary folder. */
async function fileFixture(): Promise<RecordsFixture> {
  const dir = await Deno.makeTempDir({ prefix: "burrow_records_" });
  for (const repo of ["alice", "bob"]) {
    for (const sub of ["snapshots", "keys"]) await makeDirDurable(`${dir}/${repo}/${sub}`);
  }
  return {
    records: new FileRecords(`${dir}/alice`, silentLogger),
    other: new FileRecords(`${dir}/bob`, silentLogger),
    reopen: () => new FileRecords(`${dir}/alice`, silentLogger),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Records of two accounts in a fresh database, dropped at cleanup. */
async function postgresFixture(): Promise<RecordsFixture> {
  const db = await createTestDatabase();
  const sql = postgres(db.url, { onnotice: false, max: 2 });
  await ensureRepositorySchema(sql);
  const alice = repositoryKey("alice", "2026-01-01T00:00:00.000Z");
  return {
    records: new PostgresRecords(sql, alice),
    // The same name, a later account: a repository of its own.
    other: new PostgresRecords(sql, repositoryKey("alice", "2026-02-01T00:00:00.000Z")),
    reopen: () => new PostgresRecords(sql, alice),
    cleanup: async () => {
      await sql.end();
      await db.drop();
    },
  };
}

repositoryRecordsSuite("file", fileFixture);
reportIgnored("repository_records_conformance_test.ts");
repositoryRecordsSuite("postgres", postgresFixture, { ignore: postgresMissing !== null });
