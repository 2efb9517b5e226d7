import assert from "node:assert/strict";
import { addFromProcesses, expectedNames } from "../../tests/conformance/_concurrent_adds.ts";
import { sampleRecord } from "../../tests/conformance/user_store_suite.ts";
import { NotFoundError, StoreError } from "../errors.ts";
import { CsvUserStore } from "./csv_user_store.ts";
import { inTempDir } from "../../tests/_testing.ts";
import { lockFile } from "../exclusive_lock.ts";

/** The header of a schema version 1 file, and one of its rows. */
const HEADER = "name,created,last_login,kdf,verifier\n";
const ROW = "alice,2024-01-02T03:04:05.678Z,,k,v\n";
/** The header this code writes. */
const CURRENT_HEADER =
  "name,created,last_login,kdf,verifier,temporary_password,append_only,quota,disabled\n";
/** What the current version adds to a version 1 row of an account without limits. */
const NEW_FIELDS = ",false,false,,false";

/** Runs `body` with a fresh temporary folder, removed afterwards. */
/** The names in `dir`, sorted. */
async function namesIn(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir), (entry) => entry.name)).sort();
}

Deno.test("CsvUserStore.open() with create: false of a missing file fails and creates nothing", () =>
  inTempDir(async (dir) => {
    await assert.rejects(
      async () => await CsvUserStore.open(`${dir}/a/b/users.csv`, { create: false }),
      (error) =>
        error instanceof NotFoundError &&
        error.message === `Cannot open user store "${dir}/a/b/users.csv": it does not exist`,
    );
    assert.deepEqual(await namesIn(dir), []);
  }));

Deno.test("CsvUserStore.open() of a missing file writes an empty table (folder, mode 0600)", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/a/b/users.csv`;
    const store = await CsvUserStore.open(path);
    assert.deepEqual(await store.list(), []);
    await store.close();
    assert.equal(await Deno.readTextFile(path), CURRENT_HEADER);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/a`)).mode! & 0o777, 0o700);
  }));

Deno.test("CsvUserStore.open() migrates a version 1 file in one atomic write, keeping every row", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.csv`;
    await Deno.writeTextFile(
      path,
      HEADER + ROW + "bob,2024-01-02T03:04:05Z,2024-02-03T04:05:06Z,k2,v2\n",
    );
    const before = (await Deno.stat(path)).ino;
    const store = await CsvUserStore.open(path);
    assert.equal(
      await Deno.readTextFile(path),
      CURRENT_HEADER + `alice,2024-01-02T03:04:05.678Z,,k,v${NEW_FIELDS}\n` +
        `bob,2024-01-02T03:04:05Z,2024-02-03T04:05:06Z,k2,v2${NEW_FIELDS}\n`,
    );
    assert.notEqual((await Deno.stat(path)).ino, before, "replaced by rename, not rewritten");
    assert.deepEqual(await namesIn(dir), ["users.csv", "users.csv.lock"], "no temporary file");
    await store.add(sampleRecord("carol", { temporaryPassword: true }));
    assert.deepEqual((await store.list()).map((r) => [r.name, r.temporaryPassword]), [
      ["alice", false],
      ["bob", false],
      ["carol", true],
    ]);
    await store.close();
  }));

Deno.test("CsvUserStore.open() migrates a version 2 file, keeping temporary passwords", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.csv`;
    await Deno.writeTextFile(
      path,
      "name,created,last_login,kdf,verifier,temporary_password\n" +
        "alice,2024-01-02T03:04:05.678Z,,k,v,true\n",
    );
    const store = await CsvUserStore.open(path, { create: false });
    assert.equal(
      await Deno.readTextFile(path),
      CURRENT_HEADER + "alice,2024-01-02T03:04:05.678Z,,k,v,true,false,,false\n",
    );
    await store.update("alice", { appendOnly: true, quota: 1024 });
    assert.deepEqual(
      await store.get("alice"),
      sampleRecord("alice", {
        kdf: "k",
        verifier: "v",
        temporaryPassword: true,
        appendOnly: true,
        quota: 1024,
      }),
    );
    assert.equal(
      await Deno.readTextFile(path),
      CURRENT_HEADER + "alice,2024-01-02T03:04:05.678Z,,k,v,true,true,1024,false\n",
    );
    await store.close();
  }));

Deno.test("CsvUserStore.add() writes the current header and one row per user", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/a/b/users.csv`;
    const store = await CsvUserStore.open(path);
    await store.add(sampleRecord("bob", { kdf: 'k,"1"', lastLogin: "2024-02-03T04:05:06.789Z" }));
    await store.add(sampleRecord("alice", { kdf: "k", verifier: "v" }));
    await store.close();
    assert.deepEqual((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(
      await Deno.readTextFile(path),
      CURRENT_HEADER + ROW.replace("\n", `${NEW_FIELDS}\n`) +
        `bob,2024-01-02T03:04:05.678Z,2024-02-03T04:05:06.789Z,"k,""1""","${
          sampleRecord("bob").verifier
        }"${NEW_FIELDS}\n`,
    );
  }));

Deno.test("CsvUserStore writes leave no temporary file behind, only the lock file", () =>
  inTempDir(async (dir) => {
    const store = await CsvUserStore.open(`${dir}/users.csv`);
    await Promise.all(["a", "b", "c", "d"].map((name) => store.add(sampleRecord(name))));
    await store.update("a", { kdf: "x" });
    await store.remove("b");
    await assert.rejects(async () => await store.add(sampleRecord("c")), Error);
    await store.close();
    assert.deepEqual(await namesIn(dir), ["users.csv", "users.csv.lock"]);
  }));

const BROKEN: [string, string, string][] = [
  ["bad header", "name,created,kdf,verifier\n", 'line 1: expected header "name,created'],
  ["wrong field count", HEADER + ROW + "bob,x\n", "line 3: expected 5 fields, found 2"],
  [
    "invalid name",
    HEADER + "../x,2024-01-02T03:04:05.678Z,,k,v\n",
    'line 2: invalid user name "../x"',
  ],
  ["bad created", HEADER + "bob,yesterday,,k,v\n", 'line 2: created "yesterday" is not'],
  ["bad last_login", HEADER + "bob,2024-01-02T03:04:05Z,soon,k,v\n", 'line 2: last_login "soon"'],
  ["duplicate", HEADER + ROW + ROW, 'line 3: duplicate user name "alice" (first on line 2)'],
  ["unclosed quote", HEADER + ROW + 'bob,"2024\n', "line 3: quote not closed"],
  ["bad quote", HEADER + 'bob,"x"y,,k,v\n', "line 2: unexpected character after a closing quote"],
  [
    "line after a multi-line field and blank lines",
    HEADER + 'alice,2024-01-02T03:04:05.678Z,,"k\nk\nk",v\n\n\nbob,x\n',
    "line 7: expected 5 fields, found 2",
  ],
];

for (const [what, text, message] of BROKEN) {
  Deno.test(`CsvUserStore.open() names the file and line of a broken file: ${what}`, () =>
    inTempDir(async (dir) => {
      const path = `${dir}/users.csv`;
      await Deno.writeTextFile(path, text);
      await assert.rejects(
        async () => await CsvUserStore.open(path),
        (error) =>
          error instanceof StoreError &&
          error.message.includes(`Cannot read user store "${path}": ${message}`),
      );
    }));
}

Deno.test("CsvUserStore.open() accepts an empty file, CRLF line ends and a byte order mark", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.csv`;
    for (
      const text of ["", HEADER, `\ufeff${HEADER}${ROW}`, (HEADER + ROW).replaceAll("\n", "\r\n")]
    ) {
      await Deno.writeTextFile(path, text);
      const store = await CsvUserStore.open(path);
      const expected = text.includes("alice")
        ? [sampleRecord("alice", { kdf: "k", verifier: "v" })]
        : [];
      assert.deepEqual(await store.list(), expected);
      await store.close();
    }
  }));

Deno.test("CsvUserStore.get() sees a file another program rewrote", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.csv`;
    const store = await CsvUserStore.open(path);
    assert.deepEqual(await store.get("alice"), null);
    await Deno.writeTextFile(path, HEADER + ROW);
    assert.deepEqual((await store.get("alice"))?.kdf, "k");
    await Deno.writeTextFile(path, HEADER);
    assert.deepEqual(await store.list(), []);
    await store.close();
  }));

Deno.test("CsvUserStore.add() refuses to overwrite a file broken after open", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.csv`;
    const store = await CsvUserStore.open(path);
    await store.add(sampleRecord("alice"));
    const broken = HEADER + "alice,oops\n";
    await Deno.writeTextFile(path, broken);
    await assert.rejects(
      async () => await store.add(sampleRecord("bob")),
      (error) => error instanceof StoreError && error.message.includes("line 2"),
    );
    await assert.rejects(
      async () => await store.get("alice"),
      (error) => error instanceof StoreError && error.message.includes("line 2"),
    );
    assert.deepEqual(await Deno.readTextFile(path), broken);
    await store.close();
  }));

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" }).spawn();
  await child.status;
  return child.pid;
}

Deno.test("CsvUserStore.add() is not blocked by a lock file a dead process left", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.csv`;
    const store = await CsvUserStore.open(path, { lockTimeoutMs: 200 });
    await Deno.writeTextFile(`${path}.lock`, `${await deadPid()} token\n`);
    await store.add(sampleRecord("alice"));
    // A lock file with this process's pid, and an empty one: their content means nothing.
    await Deno.writeTextFile(`${path}.lock`, `${Deno.pid} not-ours\n`);
    await store.add(sampleRecord("bob"));
    await Deno.writeTextFile(`${path}.lock`, "");
    await store.add(sampleRecord("carol"));
    assert.deepEqual((await store.list()).map((r) => r.name), ["alice", "bob", "carol"]);
    await store.close();
  }));

Deno.test("CsvUserStore.add() waits for a held lock, then fails naming the lock file", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.csv`;
    const store = await CsvUserStore.open(path, { lockTimeoutMs: 200 });
    const held = await lockFile(`${path}.lock`, 0);
    assert.ok(held !== null);
    const started = Date.now();
    await assert.rejects(
      async () => await store.add(sampleRecord("alice")),
      (error) =>
        error instanceof StoreError &&
        error.message.includes(
          `Cannot write user store "${path}": another writer holds "${path}.lock"`,
        ),
    );
    assert.ok(Date.now() - started >= 200, "gave up before the timeout");
    assert.deepEqual(await store.list(), [], "nothing was written");
    held.release();
    await store.add(sampleRecord("alice"));
    assert.deepEqual(await store.get("alice"), sampleRecord("alice"));
    await store.close();
  }));

Deno.test("CsvUserStore.add() is not blocked by a lock file naming a live unrelated process", () =>
  inTempDir(async (dir) => {
    // PID 1 is always alive; seen from another PID namespace (a container sharing the folder),
    // or after the holder died and its PID was reused, it names a process that holds nothing.
    const path = `${dir}/users.csv`;
    const store = await CsvUserStore.open(path, { lockTimeoutMs: 200 });
    await Deno.writeTextFile(`${path}.lock`, "1 held-by-init\n");
    await store.add(sampleRecord("alice"));
    assert.deepEqual(await store.get("alice"), sampleRecord("alice"));
    await store.close();
  }));

Deno.test("CsvUserStore.add() goes ahead once a held lock is released", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.csv`;
    const store = await CsvUserStore.open(path, { lockTimeoutMs: 5000 });
    const held = await lockFile(`${path}.lock`, 0);
    assert.ok(held !== null);
    let released = false;
    setTimeout(() => {
      released = true;
      held.release();
    }, 100);
    await store.add(sampleRecord("alice"));
    assert.ok(released, "the write waited for the lock");
    assert.deepEqual((await store.list()).length, 1);
    await store.close();
  }));

Deno.test("CsvUserStore.add() from two processes at once lands every user", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/data/users.csv`;
    await addFromProcesses(`csv:${path}`, dir, 2, 25);
    const store = await CsvUserStore.open(path);
    const records = await store.list();
    await store.close();
    assert.deepEqual(records.map((r) => r.name), expectedNames(2, 25));
    assert.deepEqual(records[0]?.kdf, 'kdf of p0-0, "quoted"');
    assert.deepEqual(await namesIn(`${dir}/data`), ["users.csv", "users.csv.lock"]);
  }));

Deno.test("CsvUserStore.add() from two instances in one process lands every user", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/users.csv`;
    const [a, b] = [await CsvUserStore.open(path), await CsvUserStore.open(path)];
    const names = Array.from({ length: 20 }, (_, i) => `u${String(i).padStart(2, "0")}`);
    await Promise.all(names.map((name, i) => (i % 2 === 0 ? a : b).add(sampleRecord(name))));
    assert.deepEqual((await a.list()).map((r) => r.name), names);
    await Promise.all([a.close(), b.close()]);
  }));
