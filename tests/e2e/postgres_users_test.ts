/**
 * End to end: `burrow serve --users postgres://…` keeps its accounts in PostgreSQL; `useradd`,
 * `usermod` and `users` reach the same database beside the running server; a push and a pull go
 * through. The database password, given in PGPASSWORD or a file, appears in no output, log, error
 * or command line. Needs the server `BURROW_TEST_POSTGRES_URL` names; ignored without it.
 */
import assert from "node:assert/strict";
import {
  postgresMissing,
  reportIgnored,
  type TestDatabase,
  withTestDatabase,
} from "../_postgres.ts";
import { connectToServer } from "../../src/client/connection.ts";
import { RpcChannel } from "../../src/client/rpc_channel.ts";
import { PROTOCOL_VERSION } from "../../src/protocol/mod.ts";
import { burrow, type RunResult, startServer } from "./_harness.ts";
import { assertSameTree, makeTree } from "./_tree.ts";

reportIgnored("postgres_users_test.ts");

const ALICE_PASSWORD = "alice-pg-password";

/** Registers a test on a fresh database, ignored without a test server. */
function pgTest(name: string, fn: (db: TestDatabase, work: string) => Promise<void>): void {
  Deno.test({
    name,
    ignore: postgresMissing !== null,
    fn: () =>
      withTestDatabase(async (db) => {
        const work = await Deno.makeTempDir({ prefix: "burrow-e2e-pg-" });
        try {
          await fn(db, work);
        } finally {
          await Deno.remove(work, { recursive: true });
        }
      }),
  });
}

/** Asserts that `text` does not hold `secret` (nor its percent-encoded form). */
function assertHidden(text: string, secret: string, where: string): void {
  assert.ok(secret.length >= 8, "the test password is long enough to search for");
  assert.ok(!text.includes(secret), `${where} shows the database password:\n${text}`);
  assert.ok(!text.includes(encodeURIComponent(secret)), `${where} shows the database password`);
}

/** Asserts a command's exit code, showing its stderr when it differs. */
function assertCode(result: RunResult, code: number): void {
  assert.equal(result.code, code, result.stderr);
}

pgTest(
  "postgres users: serve, useradd, usermod, push and pull, the password shown nowhere",
  async (db, work) => {
    const users = db.urlWithoutPassword;
    const pg = { PGPASSWORD: db.password };
    const data = `${work}/data`;
    const server = await startServer({ dataDir: data, extraArgs: ["--users", users], env: pg });
    const outputs: [string, string][] = [];
    const run = async (args: string[], env: Record<string, string> = {}) => {
      const result = await burrow(args, { env: { ...pg, ...env } });
      outputs.push([args.join(" "), `${result.stdout}${result.stderr}`]);
      return result;
    };
    try {
      const hint =
        `next: add an account with: burrow useradd NAME --data ${data} --users ${users} `;
      const deadline = Date.now() + 10_000;
      while (!server.stdoutText().includes(hint) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(server.stdoutText().includes(hint), server.stdoutText());
      const added = await run(["useradd", "alice", "--data", data, "--users", users], {
        BURROW_PASSWORD: ALICE_PASSWORD,
      });
      assertCode(added, 0);
      assert.match(added.stderr, new RegExp(`user store "${users}"`));

      const source = `${work}/source`;
      await makeTree(source);
      const client = [...server.clientArgs("alice")];
      const login = { BURROW_PASSWORD: ALICE_PASSWORD };
      assertCode(await run(["push", source, "--name", "docs", ...client], login), 0);
      assertCode(await run(["pull", `${work}/restored`, "--name", "docs", ...client], login), 0);
      await assertSameTree(source, `${work}/restored/source`);

      const listed = await run(["users", "--data", data, "--users", users, "--json"]);
      assertCode(listed, 0);
      const [alice] = JSON.parse(listed.stdout);
      assert.equal(alice.name, "alice");
      assert.equal(alice.snapshots, 1);
      assert.ok(alice.lastLogin !== null, "the server recorded the login in PostgreSQL");

      const disabled = await run([
        "usermod",
        "alice",
        "--disable",
        "--data",
        data,
        "--users",
        users,
      ]);
      assertCode(disabled, 0);
      assertCode(await run(["snapshots", ...client], login), 3);

      const cmdline = await Deno.readTextFile(`/proc/${server.process.pid}/cmdline`);
      assert.ok(cmdline.includes(`--users\0${users}`), cmdline);
      assertHidden(cmdline, db.password, "the server's command line");
    } finally {
      await server.stop();
      assertHidden(`${server.stdoutText()}${server.stderrText()}`, db.password, "the server's log");
      for (const [command, output] of outputs) assertHidden(output, db.password, command);
    }
  },
);

pgTest(
  "postgres users: a wrong password or a dead server is one line that hides the password",
  async (db, work) => {
    const wrong = "Wrong-Db-Password-4711";
    const withWrong = db.urlWithoutPassword.replace("@", `:${wrong}@`);
    for (const env of [{}, { BURROW_DEBUG: "1" }]) {
      const refused = await burrow(["users", "--data", work, "--users", withWrong], { env });
      assertCode(refused, 1);
      assertHidden(refused.stderr, wrong, "the error");
      const lines = refused.stderr.split("\n");
      assert.match(lines[0]!, /^warning: the --users URL holds a password, which every local user/);
      assert.match(
        lines[1]!,
        new RegExp(
          `^burrow: Cannot open user store "${
            withWrong.replace(wrong, "\\*\\*\\*")
          }": password authentication failed for user`,
        ),
      );
      if (!("BURROW_DEBUG" in env)) assert.equal(lines.length, 3, refused.stderr);
    }

    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const dead = `postgres://burrow@127.0.0.1:${port}/burrow`;
    const unreachable = await burrow(["users", "--data", work, "--users", dead], {
      env: { PGPASSWORD: wrong },
    });
    assertCode(unreachable, 1);
    assert.equal(
      unreachable.stderr,
      `burrow: Cannot open user store "${dead}": connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
  },
);

pgTest(
  "postgres users: the password comes from --users-password-file or PGPASSFILE; conflicts are refused",
  async (db, work) => {
    const file = `${work}/db-password`;
    await Deno.writeTextFile(file, `${db.password}\n`);
    const users = db.urlWithoutPassword;
    const common = ["--data", work, "--users", users, "--users-password-file", file];
    const added = await burrow(["useradd", "bob", "--init", ...common], {
      env: { BURROW_PASSWORD: "bob-pg-password" },
    });
    assertCode(added, 0);
    const listed = await burrow(["users", ...common]);
    assertCode(listed, 0);
    assert.match(listed.stdout, /^bob /m);
    assertHidden(`${added.stderr}${listed.stdout}${listed.stderr}`, db.password, "the output");

    const both = await burrow([
      "users",
      "--data",
      work,
      "--users",
      db.url,
      "--users-password-file",
      file,
    ]);
    assertCode(both, 2);
    assert.equal(
      both.stderr,
      "burrow: Cannot use --users-password-file: the --users URL holds a password too; keep one of them\n",
    );
    const bare = ["users", ...common.slice(0, 4)];
    const pgpass = `${work}/pgpass`;
    await Deno.writeTextFile(pgpass, `*:*:${db.name}:*:${db.password}\n`, { mode: 0o600 });
    const fromPgpass = await burrow(bare, { env: { PGPASSFILE: pgpass } });
    assertCode(fromPgpass, 0);
    assert.match(fromPgpass.stdout, /^bob /m);
    const none = await burrow(bare);
    assertCode(none, 1);
    assert.match(none.stderr, /password authentication failed .*\(no password was given\)\n$/);
    const noFile = await burrow([...bare, "--users-password-file", `${file}.x`]);
    assertCode(noFile, 1);
    assert.match(
      noFile.stderr,
      /^burrow: Cannot read the user store password file ".*db-password\.x": /,
    );
  },
);

pgTest(
  "postgres users: two servers on one database give an unknown name the same fake challenge",
  async (db, work) => {
    const pg = { PGPASSWORD: db.password };
    const servers = [
      await startServer({
        dataDir: `${work}/a`,
        extraArgs: ["--users", db.urlWithoutPassword],
        env: pg,
      }),
      await startServer({
        dataDir: `${work}/b`,
        extraArgs: ["--users", db.urlWithoutPassword],
        env: pg,
      }),
    ];
    try {
      const challenges = [];
      for (const server of servers) {
        const conn = await connectToServer({
          hostname: "127.0.0.1",
          port: server.port,
          caCerts: [await Deno.readTextFile(server.caPath)],
        });
        const rpc = new RpcChannel(conn);
        try {
          await rpc.request(
            "hello",
            { protocol: [PROTOCOL_VERSION], client: "burrow-test" },
            "hello_ok",
          );
          const { kdf } = await rpc.request(
            "login_start",
            { user: "nobody-here" },
            "login_challenge",
          );
          challenges.push(kdf);
        } finally {
          await rpc.close().catch(() => {});
        }
      }
      // Each server with its own DATA/server.secret would answer with a salt of its own.
      assert.equal(challenges[0], challenges[1]);
    } finally {
      for (const server of servers) await server.stop();
    }
  },
);
