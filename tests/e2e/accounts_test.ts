/** End to end: accounts and login through the real CLI against a real `burrow serve`. */
import assert from "node:assert/strict";
import { addUser, burrow, startServer } from "./_harness.ts";

const BAD_NAMES = ["", "../x", "a/b", "x".repeat(300), "bad\u0007name", "-dash", "sp ace"];

Deno.test("accounts: useradd, login, passwd, users, userdel through the CLI", async (t) => {
  const server = await startServer();
  const env = (password: string) => ({ BURROW_PASSWORD: password });
  const snapshots = (user: string, password: string, extra: string[] = []) =>
    burrow(["snapshots", ...server.clientArgs(user), ...extra], { env: env(password) });
  try {
    await t.step("useradd then snapshots logs in and lists nothing", async () => {
      await addUser(server, "alice", "alice-pass-1");
      const table = await snapshots("alice", "alice-pass-1");
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /no snapshots/);
      const json = await snapshots("alice", "alice-pass-1", ["--json"]);
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), []);
    });

    await t.step(
      "wrong password and unknown user get the same one-line answer, exit 3",
      async () => {
        const wrong = await snapshots("alice", "not-her-password");
        const unknown = await snapshots("nobody", "whatever");
        assert.equal(wrong.code, 3);
        assert.equal(unknown.code, 3);
        assert.equal(wrong.stderr, unknown.stderr);
        assert.equal(wrong.stderr.trim().split("\n").length, 1);
        assert.equal(wrong.stdout, "");
      },
    );

    await t.step("useradd of an existing name exits 1 and leaves the store unchanged", async () => {
      const before = await burrow(["users", "--data", server.dataDir, "--json"]);
      const again = await burrow(
        ["useradd", "alice", "--data", server.dataDir, "--password-stdin"],
        {
          stdin: "other\n",
        },
      );
      assert.equal(again.code, 1);
      assert.match(again.stderr, /taken/);
      const after = await burrow(["users", "--data", server.dataDir, "--json"]);
      assert.equal(after.stdout, before.stdout);
      assert.equal((await snapshots("alice", "alice-pass-1")).code, 0, "old password still works");
    });

    await t.step("bad user names exit 2 with one line, for useradd and for clients", async () => {
      for (const name of BAD_NAMES) {
        const add = await burrow(["useradd", name, "--data", server.dataDir, "--password-stdin"], {
          stdin: "pw\n",
        });
        assert.equal(add.code, 2, `useradd ${JSON.stringify(name)}: ${add.stderr}`);
        assert.equal(add.stderr.trim().split("\n").length, 1);
        const login = await snapshots(name, "pw");
        assert.equal(login.code, 2, `--user ${JSON.stringify(name)}: ${login.stderr}`);
      }
    });

    await t.step("users lists name, created and last login", async () => {
      const result = await burrow(["users", "--data", server.dataDir, "--json"]);
      assert.equal(result.code, 0, result.stderr);
      const users = JSON.parse(result.stdout);
      assert.equal(users.length, 1);
      assert.equal(users[0].name, "alice");
      assert.match(users[0].created, /^\d{4}-\d\d-\d\dT/);
      assert.match(users[0].lastLogin, /^\d{4}-\d\d-\d\dT/);
      const table = await burrow(["users", "--data", server.dataDir]);
      assert.match(table.stdout, /^NAME\s+CREATED\s+LAST LOGIN/);
    });

    await t.step("passwd: the new password works and the old one stops at once", async () => {
      const changed = await burrow(["passwd", ...server.clientArgs("alice"), "--password-stdin"], {
        stdin: "alice-pass-1\nalice-pass-2\n",
      });
      assert.equal(changed.code, 0, changed.stderr);
      assert.equal((await snapshots("alice", "alice-pass-1")).code, 3);
      assert.equal((await snapshots("alice", "alice-pass-2")).code, 0);
    });

    await t.step("signup is refused with exit 3 when the server does not allow it", async () => {
      const result = await burrow(["signup", ...server.clientArgs("carol"), "--password-stdin"], {
        stdin: "carol-pass\n",
      });
      assert.equal(result.code, 3);
      assert.match(result.stderr, /does not allow signup/);
    });

    await t.step("userdel removes the account; --purge removes its data folder", async () => {
      await addUser(server, "dave", "dave-pass");
      await Deno.mkdir(`${server.dataDir}/repos/dave`, { recursive: true });
      const kept = await burrow(["userdel", "dave", "--data", server.dataDir]);
      assert.equal(kept.code, 0, kept.stderr);
      const aside = /moved to (\S+) /.exec(kept.stdout)?.[1] ?? "";
      assert.equal((await Deno.stat(aside)).isDirectory, true, kept.stdout);
      await assert.rejects(Deno.stat(`${server.dataDir}/repos/dave`), Deno.errors.NotFound);
      assert.equal((await snapshots("dave", "dave-pass")).code, 3);
      await addUser(server, "dave", "dave-pass");
      await Deno.mkdir(`${server.dataDir}/repos/dave`, { recursive: true });
      const purged = await burrow(["userdel", "dave", "--data", server.dataDir, "--purge"]);
      assert.equal(purged.code, 0, purged.stderr);
      await assert.rejects(Deno.stat(`${server.dataDir}/repos/dave`), Deno.errors.NotFound);
      const missing = await burrow(["userdel", "dave", "--data", server.dataDir]);
      assert.equal(missing.code, 1);
    });

    await t.step("nothing secret reaches the log or any file of the data folder", async () => {
      for await (const path of filesUnder(server.dataDir)) {
        const text = new TextDecoder("latin1").decode(await Deno.readFile(path));
        assert.ok(!text.includes("alice-pass"), `${path} holds a password`);
      }
      assert.ok(!server.stderrText().includes("alice-pass"));
      assert.ok(!server.stderrText().includes("$argon2id$"));
    });
  } finally {
    assert.equal(await server.stop(), 0);
    await Deno.remove(server.dataDir, { recursive: true });
  }
});

Deno.test("accounts: signup works where the server allows it, then login", async () => {
  const server = await startServer({ extraArgs: ["--allow-signup"] });
  try {
    const signup = await burrow(["signup", ...server.clientArgs("erin"), "--password-stdin"], {
      stdin: "erin-pass\n",
    });
    assert.equal(signup.code, 0, signup.stderr);
    const twice = await burrow(["signup", ...server.clientArgs("erin"), "--password-stdin"], {
      stdin: "erin-pass\n",
    });
    assert.equal(twice.code, 1);
    const login = await burrow(["snapshots", ...server.clientArgs("erin")], {
      env: { BURROW_PASSWORD: "erin-pass" },
    });
    assert.equal(login.code, 0, login.stderr);
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
  }
});

Deno.test("accounts: a CSV user store works the same way", async () => {
  const dir = await Deno.makeTempDir({ prefix: "burrow-e2e-" });
  const users = `csv:${dir}/users.csv`;
  const server = await startServer({ dataDir: dir, extraArgs: ["--users", users] });
  try {
    const added = await burrow(["useradd", "frank", "--data", dir, "--users", users], {
      env: { BURROW_PASSWORD: "frank-pass" },
    });
    assert.equal(added.code, 0, added.stderr);
    const login = await burrow(["snapshots", ...server.clientArgs("frank")], {
      env: { BURROW_PASSWORD: "frank-pass" },
    });
    assert.equal(login.code, 0, login.stderr);
    const csv = await Deno.readTextFile(`${dir}/users.csv`);
    assert.match(
      csv,
      /^name,created,last_login,kdf,verifier,temporary_password,append_only,quota,disabled\n/,
    );
    assert.match(csv, /frank,.*\$argon2id\$.*,false,false,,false\n/);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client errors: wrong CA exits 1 naming the certificate, unreachable server exits 1", async () => {
  const server = await startServer();
  const other = await Deno.makeTempDir({ prefix: "burrow-e2e-" });
  try {
    await addUser(server, "alice", "alice-pass");
    const certs = await burrow(["certs", "--out", other]);
    assert.equal(certs.code, 0, certs.stderr);
    const wrongCa = await burrow(
      ["snapshots", "--server", server.address, "--ca", `${other}/ca.pem`, "--user", "alice"],
      { env: { BURROW_PASSWORD: "alice-pass" } },
    );
    assert.equal(wrongCa.code, 1);
    assert.match(wrongCa.stderr, /certificate/);
    assert.equal(wrongCa.stderr.trim().split("\n").length, 1);

    const noCaFile = await burrow(
      ["snapshots", "--server", server.address, "--ca", `${other}/missing.pem`, "--user", "alice"],
      { env: { BURROW_PASSWORD: "alice-pass" } },
    );
    assert.equal(noCaFile.code, 1);
    assert.match(noCaFile.stderr, /missing\.pem/);
  } finally {
    await server.stop();
  }
  // The server is gone now: its port refuses connections.
  const unreachable = await burrow(
    ["snapshots", "--server", server.address, "--ca", server.caPath, "--user", "alice"],
    { env: { BURROW_PASSWORD: "alice-pass" } },
  );
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /Cannot connect to .*refused/);
  await Deno.remove(server.dataDir, { recursive: true });
  await Deno.remove(other, { recursive: true });
});

Deno.test("usage errors exit 2: unknown command, unknown flag, missing argument", async () => {
  for (
    const args of [["frobnicate"], ["users", "--bogus"], ["useradd"], ["snapshots"], ["certs"]]
  ) {
    const result = await burrow(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  }
});

async function* filesUnder(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* filesUnder(path);
    else if (entry.isFile) yield path;
  }
}
