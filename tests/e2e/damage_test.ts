/**
 * End to end: a repository with one damaged or missing file stays usable. A lost index is rebuilt
 * from its pack (never deleting the pack), a lost pack costs only the snapshots that need it (and
 * a push stores its chunks again), a bad snapshot record is named and skipped; the client is
 * never shown the server's paths.
 */
import assert from "node:assert/strict";
import { addUser, clientOf, type RunResult, withServer } from "./_harness.ts";
import { assertSameTree, makeTree } from "./_tree.ts";
import { filesEnding } from "../_testing.ts";

/** The index file of a pack file. */
function indexOf(pack: string): string {
  const name = pack.slice(pack.lastIndexOf("/") + 1, -".pack".length);
  return `${pack.slice(0, pack.indexOf("/packs/"))}/index/${name}.idx`;
}

function assertOk(result: RunResult, what: string): void {
  assert.equal(result.code, 0, `${what}: ${result.stderr}`);
}

Deno.test("damage: one missing or damaged file loses at most what needs it", async (t) => {
  await withServer(async (server, work) => {
    const run = clientOf(server, "alice", "alice-pass");
    await addUser(server, "alice", "alice-pass");
    const chunks = `${server.dataDir}/repos/alice/chunks`;
    const sourceA = `${work}/a`;
    const sourceB = `${work}/b`;
    await makeTree(sourceA);
    await makeTree(sourceB);
    assertOk(await run(["push", sourceA]), "push a");
    const packsOfA = await filesEnding(`${chunks}/packs`, ".pack");
    assertOk(await run(["push", sourceB]), "push b");
    const packsOfB = (await filesEnding(`${chunks}/packs`, ".pack"))
      .filter((pack) => !packsOfA.includes(pack));
    assert.ok(packsOfA.length > 0 && packsOfB.length > 0, "each push wrote packs of its own");
    // A second snapshot of b whose file list lands in a new pack, its unchanged files' chunks
    // staying in the first one.
    await Deno.writeTextFile(`${sourceB}/extra.txt`, "one more file\n");
    assertOk(await run(["push", sourceB]), "push b with one more file");
    const pull = async (set: string, dest: string) => await run(["pull", dest, "--name", set]);

    await t.step("a deleted index is rebuilt from its pack, which is kept", async () => {
      const sizes = await Promise.all(packsOfA.map(async (p) => (await Deno.stat(p)).size));
      for (const pack of packsOfA) await Deno.remove(indexOf(pack));
      assertOk(await pull("a", `${work}/out1`), "pull a");
      await assertSameTree(sourceA, `${work}/out1/a`);
      for (const [i, pack] of packsOfA.entries()) {
        assert.equal((await Deno.stat(pack)).size, sizes[i], "the pack is untouched");
        assert.ok((await Deno.stat(indexOf(pack))).isFile, "its index is back");
      }
      assert.match(server.stderrText(), /pack index rebuilt/);
      assert.ok(server.stderrText().includes(packsOfA[0]!), "the log names the pack");
    });

    await t.step("a damaged index is rebuilt from its pack", async () => {
      await Deno.writeFile(indexOf(packsOfA[0]!), new TextEncoder().encode("garbage"));
      assertOk(await pull("a", `${work}/out2`), "pull a");
      await assertSameTree(sourceA, `${work}/out2/a`);
    });

    await t.step("a missing pack costs only the snapshots that need it", async () => {
      for (const pack of packsOfB) await Deno.remove(pack);
      const listed = await run(["snapshots"]);
      assertOk(listed, "snapshots");
      assert.match(listed.stdout, /\ba\b[\s\S]*\bb\b/);
      assert.match(
        listed.stderr,
        /\d+ chunks? of your repository (is|are) missing or damaged; run burrow check/,
      );
      assertOk(await pull("a", `${work}/out3`), "pull a");
      await assertSameTree(sourceA, `${work}/out3/a`);
      const failed = await pull("b", `${work}/out4`);
      assert.equal(failed.code, 4, failed.stderr);
      assert.match(failed.stderr, /chunk \d+ is missing or damaged on the server$/m);
      assert.match(failed.stderr, /could not be restored: .*; run burrow check$/m);
      assert.ok(!failed.stderr.includes(server.dataDir), "no server path reaches the client");
      const checked = await run(["check"]);
      assert.equal(checked.code, 4, checked.stderr);
      assert.match(checked.stdout, /set "a".*: ok/);
      assert.match(checked.stdout, /set "b".*: \d+ chunks missing on the server, in \d+ files: /);
    });

    await t.step("a push stores the lost chunks again, unchanged files included", async () => {
      const pushed = await run(["push", sourceB, "--json"]);
      assertOk(pushed, "push b again");
      const summary = JSON.parse(pushed.stdout);
      assert.equal(summary.filesUnchanged, 6, "nothing changed in the tree");
      assert.ok(summary.bytesRead > 3_000_000, "files whose chunks were lost are read again");
      assertOk(await pull("b", `${work}/out5`), "pull b");
      await assertSameTree(sourceB, `${work}/out5/b`);
      // Only the first snapshot of b is still damaged: its own file list was in the lost pack.
      const checked = await run(["check", "--json"]);
      assert.equal(checked.code, 4, checked.stderr);
      const report = JSON.parse(checked.stdout);
      const damaged = report.snapshots.filter((s: { status: string }) => s.status !== "ok");
      assert.equal(damaged.length, 1);
      assert.match(damaged[0].reason, /missing or damaged on the server/);
    });

    await t.step("a bad or empty snapshot record is named and skipped", async () => {
      const listed = JSON.parse((await run(["snapshots", "--json"])).stdout);
      const [first, second] = listed.map((s: { id: string }) => s.id);
      const records = `${server.dataDir}/repos/alice/snapshots`;
      const record = await Deno.readFile(`${records}/${first}`);
      record[40]! ^= 1;
      await Deno.writeFile(`${records}/${first}`, record);
      await Deno.writeFile(`${records}/${second}`, new Uint8Array(0));
      const after = await run(["snapshots", "--json"]);
      assertOk(after, "snapshots");
      assert.equal(JSON.parse(after.stdout).length, listed.length - 2);
      assert.match(after.stderr, new RegExp(`snapshot ${first} is skipped: .*authenticate`));
      assert.match(
        after.stderr,
        new RegExp(`snapshot ${second} is skipped: .*record file is empty`),
      );
      assertOk(await pull("b", `${work}/out6`), "pull the latest b");
      assertOk(await run(["push", sourceA]), "push a");
      const named = await run(["pull", `${work}/out7`, "--snapshot", first]);
      assert.equal(named.code, 4, named.stderr);
      assert.match(named.stderr, new RegExp(`Cannot pull snapshot ${first}: its record`));
      const checked = await run(["check"]);
      assert.equal(checked.code, 4);
      assert.match(checked.stdout, new RegExp(`snapshot ${second}: cannot be used: .*empty`));
    });
  });
});
