import { DatabaseSync } from "node:sqlite";
import assert from "node:assert/strict";
import { addFromProcesses, expectedNames } from "../../tests/conformance/_concurrent_adds.ts";
import { sampleRecord } from "../../tests/conformance/user_store_suite.ts";
import { NotFoundError, StoreError } from "../errors.ts";
import { SQLITE_SCHEMA_VERSION, SqliteUserStore } from "./sqlite_user_store.ts";
import { inTempDir } from "../../tests/_testing.ts";

/** Runs `body` with a fresh temporary folder, removed afterwards. */
/** One PRAGMA's value, read through a separate connection. */
function pragma(path: string, name: string): unknown {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(`PRAGMA ${name}`).get()?.[name];
  } finally {
    db.close();
  }
}

Deno.test("SqliteUserStore.open() creates the folder and a mode 0600 database in WAL mode", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/a/b/users.db`;
    const store = await SqliteUserStore.open(path);
    await store.add(sampleRecord("alice"));
    for (const file of [path, `${path}-wal`]) {
      assert.deepEqual((await Deno.stat(file)).mode! & 0o777, 0o600, file);
    }
    assert.deepEqual((await Deno.stat(`${dir}/a`)).mode! & 0o777, 0o700);
    assert.deepEqual(pragma(path, "journal_mode"), "wal");
    assert.deepEqual(pragma(path, "user_version"), SQLITE_SCHEMA_VERSION);
    await store.close();
  }));

Deno.test("SqliteUserStore.open() refuses a database with a newer schema", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.db`;
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    db.close();
    await assert.rejects(
      async () => await SqliteUserStore.open(path),
      (error) =>
        error instanceof StoreError &&
        error.message.includes(
          `Cannot open user store "${path}": schema version ${SQLITE_SCHEMA_VERSION + 1} is newer`,
        ),
    );
  }));

Deno.test("SqliteUserStore.open() refuses a file that is not a database", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.db`;
    await Deno.writeTextFile(path, "name,created\n".repeat(100));
    await assert.rejects(
      async () => await SqliteUserStore.open(path),
      (error) =>
        error instanceof StoreError &&
        error.message.includes(`Cannot open user store "${path}": file is not a database`),
    );
  }));

Deno.test("SqliteUserStore.open() keeps the records of an existing database", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.db`;
    const first = await SqliteUserStore.open(path);
    await first.add(sampleRecord("alice"));
    await first.close();
    const again = await SqliteUserStore.open(path);
    assert.deepEqual(await again.list(), [sampleRecord("alice")]);
    await again.close();
  }));

Deno.test("SqliteUserStore.add() from two processes at once lands every user", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/data/users.db`;
    await addFromProcesses(`sqlite:${path}`, dir, 2, 25);
    const store = await SqliteUserStore.open(path);
    const records = await store.list();
    await store.close();
    assert.deepEqual(records.map((r) => r.name), expectedNames(2, 25));
    assert.deepEqual(records[0]?.kdf, 'kdf of p0-0, "quoted"');
  }));

Deno.test("SqliteUserStore.open() with create: false of a missing file fails and creates nothing", () =>
  inTempDir(async (dir) => {
    await assert.rejects(
      async () => await SqliteUserStore.open(`${dir}/a/users.db`, { create: false }),
      (error) =>
        error instanceof NotFoundError &&
        error.message === `Cannot open user store "${dir}/a/users.db": it does not exist`,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  }));

/** Makes a schema version 1 database at `path`, its table with `extra` columns, and one row. */
function makeVersion1Database(path: string, extra = ""): void {
  const old = new DatabaseSync(path);
  old.exec(`CREATE TABLE users (
    name TEXT PRIMARY KEY, created TEXT NOT NULL, last_login TEXT,
    kdf TEXT NOT NULL, verifier TEXT NOT NULL${extra})`);
  old.exec("PRAGMA user_version = 1");
  old.prepare("INSERT INTO users (name, created, last_login, kdf, verifier) VALUES (?, ?, ?, ?, ?)")
    .run("alice", "2024-01-02T03:04:05.678Z", null, "k", "v");
  old.close();
}

Deno.test("SqliteUserStore.open() migrates a version 1 database, keeping every row", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.db`;
    makeVersion1Database(path);
    const store = await SqliteUserStore.open(path, { create: false });
    assert.equal(pragma(path, "user_version"), SQLITE_SCHEMA_VERSION);
    assert.deepEqual(await store.list(), [
      sampleRecord("alice", { kdf: "k", verifier: "v", temporaryPassword: false }),
    ]);
    await store.add(sampleRecord("bob", { temporaryPassword: true }));
    await store.update("bob", { temporaryPassword: false, kdf: "k2" });
    assert.deepEqual(await store.get("bob"), sampleRecord("bob", { kdf: "k2" }));
    await store.close();
  }));

Deno.test("SqliteUserStore.open() leaves a version 1 database untouched when its migration fails", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.db`;
    // A column of that name already there makes the ALTER TABLE fail half-way in.
    makeVersion1Database(path, ", temporary_password TEXT");
    await assert.rejects(async () => await SqliteUserStore.open(path), StoreError);
    assert.equal(pragma(path, "user_version"), 1, "the version is not raised");
  }));

Deno.test("SqliteUserStore.open() migrates a version 2 database, keeping every row", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.db`;
    const old = new DatabaseSync(path);
    old.exec(`CREATE TABLE users (
      name TEXT PRIMARY KEY, created TEXT NOT NULL, last_login TEXT,
      kdf TEXT NOT NULL, verifier TEXT NOT NULL, temporary_password INTEGER NOT NULL DEFAULT 0)`);
    old.exec("PRAGMA user_version = 2");
    old.prepare("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)")
      .run("alice", "2024-01-02T03:04:05.678Z", null, "k", "v", 1);
    old.close();
    const store = await SqliteUserStore.open(path, { create: false });
    assert.equal(pragma(path, "user_version"), SQLITE_SCHEMA_VERSION);
    const alice = sampleRecord("alice", { kdf: "k", verifier: "v", temporaryPassword: true });
    assert.deepEqual(await store.list(), [alice]);
    await store.update("alice", { quota: 2 ** 40, disabled: true });
    assert.deepEqual(await store.get("alice"), { ...alice, quota: 2 ** 40, disabled: true });
    await store.close();
  }));
