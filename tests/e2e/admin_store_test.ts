/**
 * End to end: admin commands act only on a data folder and user store that exist (or that they
 * were told to create with `--init`), say which ones they used, and `--purge` names the folder it
 * deleted or fails. `serve` still creates what it needs on a fresh machine.
 */
import assert from "node:assert/strict";
import { burrow, clientOf, startServer } from "./_harness.ts";
import { makeTree } from "./_tree.ts";

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir), (entry) => entry.name)).sort();
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Runs `body` in a fresh, empty folder (its real path), removed afterwards. */
async function inEmptyFolder(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "burrow-e2e-cwd-" }));
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("admin store: commands run from another folder create nothing unless told to with --init", async () => {
  await inEmptyFolder(async (cwd) => {
    const data = `${cwd}/burrow-data`;
    const stdin = "alice-pass\n";
    const users = await burrow(["users"], { cwd });
    assert.equal(users.code, 1, users.stderr);
    assert.equal(
      users.stderr,
      `burrow: Cannot use data folder "${data}": it does not exist (start burrow serve --data DIR once, or give the server's --data)\n`,
    );
    for (const args of [["useradd", "alice", "--password-stdin"], ["userdel", "alice"]]) {
      const result = await burrow(args, { cwd, stdin });
      assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
      assert.match(
        result.stderr,
        new RegExp(`Cannot use data folder "${data}": it does not exist`),
      );
    }
    assert.deepEqual(await names(cwd), [], "nothing was created");

    await Deno.mkdir(data);
    const noStore = await burrow(["useradd", "alice", "--password-stdin"], { cwd, stdin });
    assert.equal(noStore.code, 1, noStore.stderr);
    assert.equal(
      noStore.stderr,
      `burrow: Cannot open user store "sqlite:${data}/users.db": it does not exist (give the server's --users STORE, or add --init to create it)\n`,
    );
    const csv = await burrow(["users", "--users", `csv:${cwd}/users.csv`], { cwd });
    assert.equal(csv.code, 1, csv.stderr);
    assert.match(csv.stderr, /Cannot open user store "csv:.*\/users\.csv": it does not exist/);
    assert.deepEqual(await names(cwd), ["burrow-data"]);
    assert.deepEqual(await names(data), [], "no store was created");

    await Deno.remove(data);
    const init = await burrow(["useradd", "alice", "--init", "--password-stdin"], { cwd, stdin });
    assert.equal(init.code, 0, init.stderr);
    const where = `data folder "${data}", user store "sqlite:${data}/users.db"`;
    assert.equal(init.stderr, `using ${where}\n`);
    assert.equal(init.stdout, 'user "alice" added\n');
    assert.ok(await exists(`${data}/users.db`));
    const listed = await burrow(["users", "--json"], { cwd });
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stderr, `using ${where}\n`);
    assert.deepEqual(JSON.parse(listed.stdout).map((u: { name: string }) => u.name), ["alice"]);
  });
});

Deno.test("admin store: userdel --purge on the wrong data folder fails and keeps everything", async () => {
  await inEmptyFolder(async (cwd) => {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "burrow-e2e-" }));
    const users = `csv:${dir}/users.csv`;
    const server = await startServer({ dataDir: dir, extraArgs: ["--users", users] });
    try {
      const added = await burrow(["useradd", "frank", "--data", dir, "--users", users], {
        env: { BURROW_PASSWORD: "frank-pass" },
      });
      assert.equal(added.code, 0, added.stderr);
      await makeTree(`${cwd}/docs`);
      const pushed = await clientOf(server, "frank", "frank-pass")(["push", `${cwd}/docs`]);
      assert.equal(pushed.code, 0, pushed.stderr);

      // Without --data it would look in ./burrow-data, which is not where frank's backups are.
      const wrong = await burrow(["userdel", "frank", "--users", users, "--purge"], { cwd });
      assert.equal(wrong.code, 1, wrong.stderr);
      assert.match(wrong.stderr, /Cannot use data folder ".*\/burrow-data": it does not exist/);
      await Deno.mkdir(`${cwd}/burrow-data`);
      const empty = await burrow(["userdel", "frank", "--users", users, "--purge"], { cwd });
      assert.equal(empty.code, 1, empty.stderr);
      assert.match(
        empty.stderr,
        new RegExp(
          `Cannot purge user "frank": there is no repository at "${cwd}/burrow-data/repos/frank"`,
        ),
      );
      assert.ok(await exists(`${dir}/repos/frank/snapshots`), "the backups stay");
      const still = await burrow(["users", "--data", dir, "--users", users, "--json"]);
      assert.deepEqual(JSON.parse(still.stdout).map((u: { name: string }) => u.name), ["frank"]);

      const purged = await burrow(["userdel", "frank", "--data", dir, "--users", users, "--purge"]);
      assert.equal(purged.code, 0, purged.stderr);
      assert.equal(purged.stderr, `using data folder "${dir}", user store "${users}"\n`);
      assert.equal(
        purged.stdout,
        `user "frank" removed; their backups were deleted: ${dir}/repos/frank\n`,
      );
      assert.equal(await exists(`${dir}/repos/frank`), false);

      // An account that never stored anything has no repository: --purge says so, userdel works.
      const gina = await burrow(["useradd", "gina", "--data", dir, "--users", users], {
        env: { BURROW_PASSWORD: "gina-pass" },
      });
      assert.equal(gina.code, 0, gina.stderr);
      const none = await burrow(["userdel", "gina", "--data", dir, "--users", users, "--purge"]);
      assert.equal(none.code, 1, none.stderr);
      assert.match(none.stderr, /Cannot purge user "gina": there is no repository at/);
      const plain = await burrow(["userdel", "gina", "--data", dir, "--users", users]);
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(plain.stdout, `user "gina" removed; they had no backups in ${dir}/repos\n`);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("admin store: serve with its defaults makes the data folder and store useradd needs", async () => {
  await inEmptyFolder(async (cwd) => {
    const server = await startServer({ cwd });
    try {
      assert.equal(server.dataDir, `${cwd}/burrow-data`);
      const added = await burrow(["useradd", "alice"], {
        cwd,
        env: { BURROW_PASSWORD: "alice-pass" },
      });
      assert.equal(added.code, 0, added.stderr);
      const login = await clientOf(server, "alice", "alice-pass")(["snapshots"]);
      assert.equal(login.code, 0, login.stderr);
    } finally {
      await server.stop();
    }
  });
});

Deno.test("admin store: serve makes a missing CSV user store", async () => {
  await inEmptyFolder(async (cwd) => {
    const server = await startServer({
      dataDir: `${cwd}/data`,
      extraArgs: ["--users", `csv:${cwd}/users.csv`],
    });
    try {
      assert.equal(
        await Deno.readTextFile(`${cwd}/users.csv`),
        "name,created,last_login,kdf,verifier,temporary_password,append_only,quota,disabled\n",
      );
    } finally {
      await server.stop();
    }
  });
});
