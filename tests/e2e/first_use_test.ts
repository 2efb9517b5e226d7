/**
 * End to end: what a new user reads. The server says what to do next, help lists every option
 * with an example, a typo gets a suggestion, push and pull count folders the same way, every
 * table shows one time format, and the server logs one line per committed snapshot.
 */
import assert from "node:assert/strict";
import { addUser, burrow, clientOf, withServer } from "./_harness.ts";
import { makeTree } from "./_tree.ts";

const TABLE_TIME = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/;

Deno.test("first use: next step, --version in help, examples, and a suggestion for a typo", async () => {
  await withServer(async (server) => {
    await new Promise((resolve) => setTimeout(resolve, 200)); // the line after "listening on"
    assert.match(server.stdoutText(), /next: add an account with: burrow useradd NAME --data /);
    const help = await burrow(["--help"]);
    assert.match(help.stdout, /--version\s+Print the version/);
    for (const command of ["serve", "useradd", "push", "pull", "snapshots", "check", "passwd"]) {
      const text = (await burrow([command, "--help"])).stdout;
      assert.match(text, new RegExp(`Examples:\\n  burrow ${command}`), command);
    }
    const typo = await burrow(["snapshot"]);
    assert.equal(typo.code, 2);
    assert.equal(typo.stderr, 'burrow: Unknown command "snapshot" (did you mean snapshots?)\n');
  });
});

Deno.test("first use: folders in push and pull, one time format, a log line per commit", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    await makeTree(`${work}/project`);
    const pushed = await run(["push", `${work}/project`, "--json"]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const push = JSON.parse(pushed.stdout);
    const pulled = await run(["pull", `${work}/out`, "--json"]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const pull = JSON.parse(pulled.stdout);
    assert.equal(push.folders, 4);
    assert.equal(pull.folders, push.folders + 1, "pull counts the top folder it makes");
    assert.ok(!("dirs" in push) && !("dirs" in pull));
    const users = await burrow(["users", "--data", server.dataDir]);
    const snapshots = await run(["snapshots"]);
    assert.match(
      users.stdout.split("\n")[2]!,
      new RegExp(`alice\\s+${TABLE_TIME.source}\\s+${TABLE_TIME.source}`),
    );
    assert.match(snapshots.stdout.split("\n")[2]!, TABLE_TIME);
    assert.match(
      server.stderrText(),
      new RegExp(
        `snapshot committed user=alice snapshot=${push.snapshot} filesNew=\\d+ filesChanged=\\d+ filesRemoved=\\d+ blobsReceived=\\d+ bytesReceived=\\d+ blobsStored=\\d+ bytesStored=\\d+ seconds=`,
      ),
    );
  });
});
