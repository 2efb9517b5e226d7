/**
 * End to end: two folders with the same name do not pass for each other. A push's parent is the
 * newest snapshot of the same path on the same host; a set whose path changes gets a warning; the
 * snapshots table shows each snapshot's path.
 */
import assert from "node:assert/strict";
import { addUser, clientOf, withServer } from "./_harness.ts";
import { makeTree } from "./_tree.ts";

Deno.test("sets: two folders named Documents keep their own parents", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const a = `${work}/a/Documents`;
    const b = `${work}/b/Documents`;
    await makeTree(a);
    await Deno.mkdir(b, { recursive: true });
    await Deno.writeTextFile(`${b}/other.txt`, "another folder of the same name\n");
    assert.equal((await run(["push", a])).code, 0);
    const second = await run(["push", b, "--json"]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(`warning: set "Documents": its last snapshot is of ${a} on `),
    );
    assert.equal(JSON.parse(second.stdout).filesRemoved, 0, "b is not a after 5 removals");
    const third = await run(["push", a, "--json"]);
    assert.equal(third.code, 0, third.stderr);
    const summary = JSON.parse(third.stdout);
    assert.deepEqual(
      [summary.filesUnchanged, summary.filesRemoved, summary.bytesRead],
      [5, 0, 0],
      "a's own parent: nothing read again",
    );
    const table = await run(["snapshots"]);
    assert.match(table.stdout, /^ID\s+SET\s+TIME\s+HOST\s+PATH\s+FILES\s+SIZE/);
    assert.ok(table.stdout.includes(a) && table.stdout.includes(b), table.stdout);
  });
});
