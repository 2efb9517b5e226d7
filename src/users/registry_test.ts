import assert from "node:assert/strict";
import { ConfigError, NotFoundError, StoreError } from "../errors.ts";
import { CsvUserStore } from "./csv_user_store.ts";
import {
  absoluteStoreSpec,
  defaultStoreSpec,
  describeStoreSpec,
  openUserStore,
  parseStoreSpec,
} from "./registry.ts";
import { SqliteUserStore } from "./sqlite_user_store.ts";

Deno.test("parseStoreSpec() splits the scheme from the path", () => {
  assert.deepEqual(parseStoreSpec("sqlite:data/users.db"), {
    scheme: "sqlite",
    path: "data/users.db",
  });
  assert.deepEqual(parseStoreSpec("csv:/etc/burrow/users.csv"), {
    scheme: "csv",
    path: "/etc/burrow/users.csv",
  });
  assert.deepEqual(parseStoreSpec("SQLite:a:b.db"), { scheme: "sqlite", path: "a:b.db" });
});

Deno.test("parseStoreSpec() throws ConfigError for a bad STORE string", () => {
  const cases: [string, string][] = [
    [
      "foo:x",
      'Cannot open user store "foo:x": unknown scheme "foo" (use sqlite:PATH, csv:PATH or postgres://USER@HOST:PORT/DB)',
    ],
    ["users.db", 'Cannot open user store "users.db": missing scheme (use sqlite:PATH, csv:PATH'],
    ["mysql://u:secret@h/db", 'Cannot open user store "mysql://u:***@h/db": unknown scheme'],
    ["postgres:x", 'Cannot open user store "postgres:x": write postgres://USER@HOST:PORT/DATABASE'],
    ["csv:", 'Cannot open user store "csv:": empty path'],
    ["sqlite:", 'Cannot open user store "sqlite:": empty path'],
    ["sqlite://x.db", 'Cannot open user store "sqlite://x.db": write the path right after'],
    ["toString:x", 'unknown scheme "tostring"'],
    ["", 'Cannot open user store "": missing scheme'],
  ];
  for (const [spec, message] of cases) {
    let caught: unknown;
    try {
      parseStoreSpec(spec);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError, `${spec}: ${caught}`);
    assert.ok(caught.message.includes(message), caught.message);
  }
});

Deno.test("parseStoreSpec() reads postgres:// and postgresql:// URLs", () => {
  for (const spec of ["postgres://u@h:1/db", "PostgreSQL://u@h:1/db"]) {
    assert.deepEqual(parseStoreSpec(spec), {
      scheme: "postgres",
      target: {
        host: "h",
        port: 1,
        database: "db",
        user: "u",
        password: null,
        sslMode: "prefer",
        connectTimeoutS: 10,
      },
    });
  }
});

Deno.test("describeStoreSpec() hides a password and keeps the rest", () => {
  assert.equal(describeStoreSpec("postgres://u:pw@h/db"), "postgres://u:***@h/db");
  assert.equal(describeStoreSpec("sqlite:/srv/users.db"), "sqlite:/srv/users.db");
});

Deno.test("defaultStoreSpec() names users.db in the data folder", () => {
  assert.deepEqual(defaultStoreSpec("./burrow-data"), "sqlite:./burrow-data/users.db");
  assert.deepEqual(defaultStoreSpec("/srv/burrow/"), "sqlite:/srv/burrow/users.db");
  assert.deepEqual(parseStoreSpec(defaultStoreSpec("/")), { scheme: "sqlite", path: "/users.db" });
});

Deno.test("openUserStore() opens the implementation the scheme names", async () => {
  const dir = await Deno.makeTempDir({ prefix: "burrow_registry_" });
  try {
    const csv = await openUserStore(`csv:${dir}/users.csv`, { create: true });
    assert.ok(csv instanceof CsvUserStore);
    await csv.close();
    const sqlite = await openUserStore(`sqlite:${dir}/users.db`, { create: true });
    assert.ok(sqlite instanceof SqliteUserStore);
    await sqlite.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openUserStore() rejects a bad STORE string and a broken file", async () => {
  await assert.rejects(
    async () => await openUserStore("pg://x", { create: true }),
    (error) => error instanceof ConfigError && error.message.includes('unknown scheme "pg"'),
  );
  const dir = await Deno.makeTempDir({ prefix: "burrow_registry_" });
  try {
    await Deno.writeTextFile(`${dir}/users.csv`, "nonsense\n");
    await assert.rejects(
      async () => await openUserStore(`csv:${dir}/users.csv`, { create: false }),
      (error) => error instanceof StoreError && error.message.includes("line 1"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openUserStore() with create: false refuses a missing store and creates nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "burrow_registry_" });
  try {
    for (const spec of [`csv:${dir}/a/users.csv`, `sqlite:${dir}/a/users.db`]) {
      await assert.rejects(
        async () => await openUserStore(spec, { create: false }),
        (error) => error instanceof NotFoundError && error.message.includes("does not exist"),
      );
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("absoluteStoreSpec() makes the path absolute and keeps the scheme", () => {
  assert.equal(absoluteStoreSpec("SQLite:/srv/users.db"), "sqlite:/srv/users.db");
  assert.equal(absoluteStoreSpec("csv:a/users.csv"), `csv:${Deno.cwd()}/a/users.csv`);
  assert.equal(absoluteStoreSpec("csv:./x/../users.csv"), `csv:${Deno.cwd()}/users.csv`);
  assert.equal(absoluteStoreSpec("postgres://u:pw@h/db"), "postgres://u:pw@h/db");
});
