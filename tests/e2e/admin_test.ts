/**
 * End to end: admin commands that change accounts coordinate with a running server. `userdel`
 * refuses, changing nothing, while the server uses the user's repository, and `--purge` removes
 * an account and its backups all or nothing.
 */
import assert from "node:assert/strict";
import { addUser, burrow, clientOf, spawnBurrow, startServer } from "./_harness.ts";
import { assertSameTree } from "./_tree.ts";
import { makeBigTree, MiB, packBytes, waitFor } from "./_big_tree.ts";

const LEFTOVER = ".purge-ghost-0123456789abcdef";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("admin: userdel refuses while a push runs, and purges all or nothing after it", async () => {
  let server = await startServer();
  const dataDir = server.dataDir;
  const work = await Deno.makeTempDir({ prefix: "burrow-e2e-work-" });
  try {
    await addUser(server, "bob", "bob-pass");
    await addUser(server, "carol", "carol-pass");
    await makeBigTree(`${work}/big`, 3, 16);
    const push = spawnBurrow(["push", `${work}/big`, ...server.clientArgs("bob")], {
      BURROW_PASSWORD: "bob-pass",
    });
    let paused = false;
    try {
      await waitFor(async () => (await packBytes(server, "bob")) > 4 * MiB, 60_000);
      // The push stays in flight, its session open, for as long as the test needs.
      push.kill("SIGSTOP");
      paused = true;
      for (const flags of [["--purge"], []]) {
        const refused = await burrow(["userdel", "bob", "--data", dataDir, ...flags]);
        assert.equal(refused.code, 1, refused.stderr);
        assert.equal(
          refused.stderr,
          `using data folder "${dataDir}", user store "sqlite:${dataDir}/users.db"\n` +
            'burrow: Cannot remove user "bob": the server is using their repository (a client of theirs is connected); try again when it disconnects\n',
        );
      }
      const users = await burrow(["users", "--data", dataDir, "--json"]);
      assert.ok(JSON.parse(users.stdout).some((u: { name: string }) => u.name === "bob"));
      assert.ok(await exists(`${dataDir}/repos/bob/chunks`), "the repository is in place");
    } finally {
      if (paused) push.kill("SIGCONT");
    }
    const status = await push.status;
    assert.equal(status.code, 0, `the push completes\n${server.stderrText()}`);
    const pulled = await clientOf(server, "bob", "bob-pass")(["pull", `${work}/restored`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    await assertSameTree(`${work}/big`, `${work}/restored/big`);

    const purged = await burrow(["userdel", "bob", "--data", dataDir, "--purge"]);
    assert.equal(purged.code, 0, purged.stderr);
    assert.deepEqual(
      [...Deno.readDirSync(`${dataDir}/repos`)].map((e) => e.name).sort(),
      [],
      "the folder is gone, nothing is left aside",
    );
    const gone = await clientOf(server, "bob", "bob-pass")(["snapshots"]);
    assert.equal(gone.code, 3, gone.stderr);
    assert.doesNotMatch(server.stderrText(), /internal|request failed/);

    // A purge cut short leaves its folder aside; userdel and serve delete such leftovers.
    await Deno.mkdir(`${dataDir}/repos/${LEFTOVER}/chunks`, { recursive: true });
    const carol = await burrow(["userdel", "carol", "--data", dataDir]);
    assert.equal(carol.code, 0, carol.stderr);
    assert.equal(await exists(`${dataDir}/repos/${LEFTOVER}`), false, "userdel swept it");
    await server.stop();
    await Deno.mkdir(`${dataDir}/repos/${LEFTOVER}/chunks`, { recursive: true });
    server = await startServer({ dataDir });
    assert.equal(await exists(`${dataDir}/repos/${LEFTOVER}`), false, "serve swept it");
  } finally {
    await server.stop();
    await Deno.remove(work, { recursive: true });
    await Deno.remove(dataDir, { recursive: true });
  }
});
