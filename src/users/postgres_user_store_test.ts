import assert from "node:assert/strict";
import postgres from "postgres";
import { addFromProcesses, expectedNames } from "../../tests/conformance/_concurrent_adds.ts";
import { sampleRecord } from "../../tests/conformance/user_store_suite.ts";
import {
  postgresMissing,
  reportIgnored,
  type TestDatabase,
  testServerHasTls,
  withTestDatabase,
} from "../../tests/_postgres.ts";
import { inTempDir } from "../../tests/_testing.ts";
import { NotFoundError, StoreError } from "../errors.ts";
import { columnsOf, USERS_SCHEMA_VERSION } from "./_user_columns.ts";
import { PostgresUserStore } from "./postgres_user_store.ts";

reportIgnored("postgres_user_store_test.ts");

/** Registers a test that runs on a fresh database, ignored without a test server. */
function pgTest(name: string, fn: (db: TestDatabase) => Promise<void>): void {
  Deno.test({ name, ignore: postgresMissing !== null, fn: () => withTestDatabase(fn) });
}

/** Runs `body` with a direct connection to the test database. */
async function direct<T>(db: TestDatabase, body: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(db.url, { onnotice: false, max: 1 });
  try {
    return await body(sql);
  } finally {
    await sql.end();
  }
}

/** Whether the database has a table of that name. */
function hasTable(db: TestDatabase, table: string): Promise<boolean> {
  return direct(
    db,
    async (sql) =>
      (await sql`SELECT to_regclass(${table}) IS NOT NULL AS present`)[0]?.present === true,
  );
}

/** The users component's schema version as recorded. */
function recordedVersion(db: TestDatabase): Promise<number | undefined> {
  return direct(db, async (sql) => {
    const [row] = await sql`SELECT version FROM burrow_schema WHERE component = 'users'`;
    return row?.version;
  });
}

pgTest(
  "PostgresUserStore.open() creates typed tables and records the schema version",
  async (db) => {
    const store = await PostgresUserStore.open(db.url);
    await store.add(sampleRecord("alice", { quota: 2 ** 40 }));
    await store.close();
    assert.equal(await recordedVersion(db), USERS_SCHEMA_VERSION);
    const types = await direct(
      db,
      (sql) =>
        sql`SELECT column_name, data_type FROM information_schema.columns
      WHERE table_name = 'burrow_users' ORDER BY ordinal_position`,
    );
    assert.deepEqual(types.map((row) => [row.column_name, row.data_type]), [
      ["name", "text"],
      ["created", "timestamp with time zone"],
      ["last_login", "timestamp with time zone"],
      ["kdf", "text"],
      ["verifier", "text"],
      ["temporary_password", "boolean"],
      ["append_only", "boolean"],
      ["quota", "bigint"],
      ["disabled", "boolean"],
    ]);
  },
);

pgTest(
  "PostgresUserStore.open() with create: false refuses a database without its tables",
  async (db) => {
    await assert.rejects(
      async () => await PostgresUserStore.open(db.url, { create: false }),
      (error) =>
        error instanceof NotFoundError && error.message.includes("it does not exist") &&
        !error.message.includes(db.password),
    );
    assert.equal(await hasTable(db, "burrow_schema"), false, "nothing is created");
    assert.equal(await hasTable(db, "burrow_users"), false);
  },
);

pgTest("PostgresUserStore.open() refuses a newer schema and leaves it unchanged", async (db) => {
  await (await PostgresUserStore.open(db.url)).close();
  const newer = USERS_SCHEMA_VERSION + 1;
  await direct(db, (sql) => sql`UPDATE burrow_schema SET version = ${newer}`);
  await assert.rejects(
    async () => await PostgresUserStore.open(db.url),
    (error) =>
      error instanceof StoreError &&
      error.message.endsWith(
        `schema version ${newer} is newer than this burrow supports (${USERS_SCHEMA_VERSION})`,
      ),
  );
  assert.equal(await recordedVersion(db), newer);
});

pgTest("PostgresUserStore.open() migrates an older table, keeping every row", async (db) => {
  await direct(db, async (sql) => {
    await sql`CREATE TABLE burrow_schema (component text PRIMARY KEY, version integer NOT NULL)`;
    await sql`INSERT INTO burrow_schema VALUES ('users', 2)`;
    const columns = columnsOf(2).map((c) => c.column);
    await sql`CREATE TABLE burrow_users (name text COLLATE "C" PRIMARY KEY,
      created timestamptz NOT NULL, last_login timestamptz, kdf text NOT NULL,
      verifier text NOT NULL, temporary_password boolean NOT NULL DEFAULT false)`;
    const row = { ...sampleRecord("alice"), temporary_password: true, last_login: null };
    await sql`INSERT INTO burrow_users ${sql(row, columns)}`;
  });
  const store = await PostgresUserStore.open(db.url, { create: false });
  try {
    const alice = sampleRecord("alice", { temporaryPassword: true });
    assert.deepEqual(await store.list(), [alice]);
    await store.update("alice", { quota: 5, disabled: true });
    assert.deepEqual(await store.get("alice"), { ...alice, quota: 5, disabled: true });
  } finally {
    await store.close();
  }
  assert.equal(await recordedVersion(db), USERS_SCHEMA_VERSION);
});

pgTest(
  "PostgresUserStore.open() from many connections at once creates the tables once",
  async (db) => {
    const stores = await Promise.all(
      Array.from({ length: 6 }, () => PostgresUserStore.open(db.url)),
    );
    try {
      await Promise.all(stores.map((store, i) => store.add(sampleRecord(`user${i}`))));
      assert.equal((await stores[0]!.list()).length, 6);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
    assert.deepEqual(
      await direct(
        db,
        async (sql) => (await sql`SELECT * FROM burrow_schema`).map((r) => ({ ...r })),
      ),
      [{ component: "users", version: USERS_SCHEMA_VERSION }],
    );
  },
);

pgTest(
  "PostgresUserStore.add() from two processes at once lands every user",
  (db) =>
    inTempDir(async (dir) => {
      await addFromProcesses(db.url, dir, 2, 25);
      const store = await PostgresUserStore.open(db.url, { create: false });
      const records = await store.list();
      await store.close();
      assert.deepEqual(records.map((r) => r.name), expectedNames(2, 25));
      assert.deepEqual(records[0]?.kdf, 'kdf of p0-0, "quoted"');
    }),
);

pgTest(
  "PostgresUserStore.open() with a wrong password fails in one line that hides it",
  async (db) => {
    const wrong = "Wrong-Secret-4711";
    const url = db.urlWithoutPassword.replace("@", `:${wrong}@`);
    for (const options of [{}, { password: wrong }]) {
      const spec = "password" in options ? db.urlWithoutPassword : url;
      await assert.rejects(
        async () => await PostgresUserStore.open(spec, options),
        (error) => {
          assert.ok(error instanceof StoreError, String(error));
          const text = `${error.message}\n${error.stack}\n${String(error.cause)}`;
          assert.ok(!text.includes(wrong), text);
          assert.ok(!error.message.includes("\n"), error.message);
          assert.match(error.message, /password authentication failed/);
          return error.message.startsWith(
            `Cannot open user store "${spec.replace(`:${wrong}@`, ":***@")}": `,
          );
        },
      );
    }
  },
);

Deno.test("PostgresUserStore.open() of an unreachable server fails in one line that hides the password", async () => {
  // A port that was free a moment ago: nothing listens there.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const spec = `postgres://burrow:Hidden-Secret-815@127.0.0.1:${port}/burrow`;
  await assert.rejects(
    async () => await PostgresUserStore.open(spec),
    (error) =>
      error instanceof StoreError &&
      error.message.startsWith(
        `Cannot open user store "postgres://burrow:***@127.0.0.1:${port}/burrow": `,
      ) && error.message.includes("ECONNREFUSED") && !error.message.includes("\n") &&
      !`${error.stack}${error.cause}`.includes("Hidden-Secret"),
  );
});

const tls = await testServerHasTls();
if (postgresMissing === null && !tls) {
  reportIgnored("postgres_user_store_test.ts (TLS)", "the test server has TLS off (ssl = off)");
}

Deno.test({
  name:
    "PostgresUserStore.open() connects over TLS with sslmode=require and checks the certificate with verify-full",
  // scripts/scaleout/postgres-up.sh turns TLS on, with a self-signed certificate.
  ignore: !tls,
  fn: () =>
    withTestDatabase(async (db) => {
      const store = await PostgresUserStore.open(`${db.url}?sslmode=require`);
      await store.add(sampleRecord("alice"));
      await store.close();
      const url = `${db.url}?sslmode=verify-full`;
      await assert.rejects(
        async () => await PostgresUserStore.open(url),
        (error) => error instanceof StoreError && /self[- ]signed certificate/.test(error.message),
      );
      const plain = await PostgresUserStore.open(`${db.url}?sslmode=disable`);
      assert.deepEqual(await plain.list(), [sampleRecord("alice")]);
      await plain.close();
    }),
});

pgTest(
  "sharedSecret() gives every store on one database the same secret, made once",
  async (db) => {
    const [a, b] = await Promise.all([
      PostgresUserStore.open(db.url),
      PostgresUserStore.open(db.url),
    ]);
    const offered = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    let first: Uint8Array;
    try {
      const both = await Promise.all([a.sharedSecret(offered[0]!), b.sharedSecret(offered[1]!)]);
      first = both[0];
      assert.deepEqual(both[1], first);
      assert.ok(offered.some((o) => o.every((byte, i) => byte === first[i])), "one of the offered");
      assert.deepEqual(await a.sharedSecret(new Uint8Array(32).fill(3)), first, "kept");
    } finally {
      await a.close();
      await b.close();
    }
    const again = await PostgresUserStore.open(db.url);
    try {
      assert.deepEqual(await again.sharedSecret(new Uint8Array(32).fill(4)), first, "after reopen");
    } finally {
      await again.close();
    }
  },
);
