/**
 * End to end: a user name that is removed and added again never reaches the earlier account's
 * backups. `userdel` moves them aside under a name no login can have (kept, and left alone by
 * every sweep), `useradd` refuses while a repository of that name remains, and the server refuses
 * to open a repository that belongs to an earlier account of the same name.
 */
import assert from "node:assert/strict";
import { addUser, burrow, clientOf, startServer, withServer } from "./_harness.ts";
import { assertSameTree, makeTree } from "./_tree.ts";

const REMOVED = /^user "bob" removed; their backups were moved to (\S+) \(/m;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir), (entry) => entry.name)).sort();
}

Deno.test("reused name: userdel keeps the backups aside and a new account of that name starts empty", async () => {
  let server = await startServer();
  const dataDir = server.dataDir;
  const work = await Deno.makeTempDir({ prefix: "burrow-e2e-work-" });
  try {
    await addUser(server, "bob", "bob-pass-first");
    await makeTree(`${work}/docs`);
    const first = await clientOf(server, "bob", "bob-pass-first")(["push", `${work}/docs`]);
    assert.equal(first.code, 0, first.stderr);

    const removed = await burrow(["userdel", "bob", "--data", dataDir]);
    assert.equal(removed.code, 0, removed.stderr);
    const aside = REMOVED.exec(removed.stdout)?.[1] ?? "";
    assert.match(aside, /\/repos\/\.removed-bob-\d{8}T\d{6}Z$/, removed.stdout);
    assert.equal(await Deno.realPath(aside), aside, "the path printed is absolute");
    assert.equal((await names(`${aside}/snapshots`)).length, 1, "the backups are kept");
    assert.equal(await exists(`${dataDir}/repos/bob`), false);

    await addUser(server, "bob", "bob-pass-second");
    const second = clientOf(server, "bob", "bob-pass-second");
    const none = await second(["snapshots"]);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /no snapshots/);
    const pushed = await second(["push", `${work}/docs`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const listed = await second(["snapshots", "--json"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(JSON.parse(listed.stdout).length, 1);
    const pulled = await second(["pull", `${work}/out`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    await assertSameTree(`${work}/docs`, `${work}/out/docs`);

    // Neither userdel's sweep nor serve's deletes a kept repository.
    await addUser(server, "carol", "carol-pass");
    assert.equal((await burrow(["userdel", "carol", "--data", dataDir])).code, 0);
    await server.stop();
    server = await startServer({ dataDir });
    assert.equal((await names(`${aside}/snapshots`)).length, 1, "still kept after a restart");
  } finally {
    await server.stop();
    await Deno.remove(work, { recursive: true });
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("reused name: useradd refuses while the earlier repository remains; the server will not open it", async () => {
  await withServer(async (server, work) => {
    const repo = `${server.dataDir}/repos/bob`;
    await addUser(server, "bob", "bob-pass-first");
    await makeTree(`${work}/docs`);
    const first = await clientOf(server, "bob", "bob-pass-first")(["push", `${work}/docs`]);
    assert.equal(first.code, 0, first.stderr);
    const removed = await burrow(["userdel", "bob", "--data", server.dataDir]);
    const aside = REMOVED.exec(removed.stdout)?.[1] ?? "";
    assert.ok(await exists(aside), removed.stdout + removed.stderr);

    // An operator moves the backups back under the name (or an older burrow left them there).
    await Deno.rename(aside, repo);
    const refused = await burrow(
      ["useradd", "bob", "--data", server.dataDir, "--password-stdin"],
      { stdin: "bob-pass-second\n" },
    );
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.stderr.split("\n").filter((l) => l.startsWith("burrow:")).length, 1);
    assert.match(
      refused.stderr,
      new RegExp(
        `Cannot add user "bob": the backups of an earlier account "bob" are still in "${
          (await Deno.realPath(repo)).replaceAll("/", "\\/")
        }"; .*move .* aside.* or delete it`,
      ),
    );
    const users = await burrow(["users", "--data", server.dataDir, "--json"]);
    assert.deepEqual(JSON.parse(users.stdout), [], "nothing was added");

    // Even with an account of that name, the server does not open the earlier account's data.
    await Deno.rename(repo, `${work}/kept`);
    await addUser(server, "bob", "bob-pass-second");
    await Deno.rename(`${work}/kept`, repo);
    const second = clientOf(server, "bob", "bob-pass-second");
    const expected =
      'burrow: Cannot open your repository: the backups kept under the name "bob" belong to an earlier account of that name; ask the server\'s administrator to move them aside\n';
    for (const args of [["snapshots"], ["push", `${work}/docs`]]) {
      const result = await second(args);
      assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
      assert.equal(result.stderr, expected, args.join(" "));
    }
    // A repository from before account files (none in it) is recognised by its key file.
    await Deno.remove(`${repo}/account`);
    const legacy = await second(["snapshots"]);
    assert.equal(legacy.code, 1, legacy.stderr);
    assert.equal(legacy.stderr, expected);
    assert.equal((await names(`${repo}/snapshots`)).length, 1, "the earlier backups are intact");
    assert.match(server.stderrText(), /repository belongs to an earlier account user=bob/);
  });
});
