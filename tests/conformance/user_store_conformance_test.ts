/** Runs the UserStore conformance suite against every implementation. @module */
import { CsvUserStore } from "../../src/users/csv_user_store.ts";
import { MemoryUserStore } from "../../src/users/memory_user_store.ts";
import { SqliteUserStore } from "../../src/users/sqlite_user_store.ts";
import type { UserStore } from "../../src/users/user_store.ts";
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
