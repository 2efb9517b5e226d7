/**
 * Runs the UserStore conformance suite against every implementation; the PostgreSQL store's runs
 * on a fresh database of the server `BURROW_TEST_POSTGRES_URL` names, and is ignored without it.
 *
 * @module
 */
import { CsvUserStore } from "../../src/users/csv_user_store.ts";
import { MemoryUserStore } from "../../src/users/memory_user_store.ts";
import { PostgresUserStore } from "../../src/users/postgres_user_store.ts";
import { SqliteUserStore } from "../../src/users/sqlite_user_store.ts";
import type { UserStore } from "../../src/users/user_store.ts";
import { createTestDatabase, postgresMissing, reportIgnored } from "../_postgres.ts";
import { type UserStoreFixture, userStoreSuite } from "./user_store_suite.ts";

/** A fixture over a file in a not yet existing sub-folder of a fresh temporary folder. */
async function fileFixture(
  file: string,
  open: (path: string) => Promise<UserStore>,
): Promise<UserStoreFixture> {
  const dir = await Deno.makeTempDir({ prefix: "burrow_users_" });
  const path = `${dir}/sub/${file}`;
  return {
    store: await open(path),
    reopen: () => open(path),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

userStoreSuite(
  "memory",
  () => Promise.resolve({ store: new MemoryUserStore(), cleanup: () => Promise.resolve() }),
  { persistent: false },
);
userStoreSuite("csv", () => fileFixture("users.csv", CsvUserStore.open));
userStoreSuite("sqlite", () => fileFixture("users.db", SqliteUserStore.open));

/** A fixture over a fresh database, dropped at cleanup. */
async function postgresFixture(): Promise<UserStoreFixture> {
  const db = await createTestDatabase();
  const open = () => PostgresUserStore.open(db.url);
  return { store: await open(), reopen: open, cleanup: () => db.drop() };
}

reportIgnored("user_store_conformance_test.ts");
userStoreSuite("postgres", postgresFixture, { ignore: postgresMissing !== null });
