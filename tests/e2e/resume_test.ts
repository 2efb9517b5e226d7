/**
 * End to end: pushes interrupted by SIGKILL of the client or of the server. Nothing committed is
 * lost, and the push run again sends only what the server does not already have.
 */
import assert from "node:assert/strict";
import { addUser, clientOf, spawnBurrow, startServer, type TestServer } from "./_harness.ts";
import { assertSameTree, makeTree } from "./_tree.ts";
import { makeBigTree, MiB, packBytes, waitFor } from "./_big_tree.ts";

function run(server: TestServer, args: string[]) {
  return clientOf(server, "alice", "alice-pass")(args);
}

Deno.test("resume: a push killed mid-way, run again, sends only what is missing", async () => {
  const server = await startServer();
  const work = await Deno.makeTempDir({ prefix: "burrow-e2e-work-" });
  try {
    await addUser(server, "alice", "alice-pass");
    const total = await makeBigTree(`${work}/big`, 5, 32);
    const push = spawnBurrow(["push", `${work}/big`, ...server.clientArgs("alice")], {
      BURROW_PASSWORD: "alice-pass",
    });
    await waitFor(async () => (await packBytes(server, "alice")) > 48 * MiB, 60_000);
    push.kill("SIGKILL");
    await push.status;
    const before = await packBytes(server, "alice");

    const again = await run(server, ["push", `${work}/big`, "--json"]);
    assert.equal(again.code, 0, `${again.stderr}\n${server.stderrText()}`);
    const summary = JSON.parse(again.stdout);
    assert.ok(
      summary.bytesSent < total - before * 0.9,
      `sent ${summary.bytesSent} of ${total}, ${before} were there`,
    );
    assert.ok(summary.bytesSent > 0);

    const pulled = await run(server, ["pull", `${work}/restored`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    await assertSameTree(`${work}/big`, `${work}/restored/big`);
  } finally {
    await server.stop();
    await Deno.remove(work, { recursive: true });
    await Deno.remove(server.dataDir, { recursive: true });
  }
});

Deno.test("resume: a server killed mid-push keeps every earlier snapshot, and the push succeeds after restart", async () => {
  let server = await startServer();
  const dataDir = server.dataDir;
  const work = await Deno.makeTempDir({ prefix: "burrow-e2e-work-" });
  try {
    await addUser(server, "alice", "alice-pass");
    await makeTree(`${work}/small`);
    assert.equal((await run(server, ["push", `${work}/small`])).code, 0);
    await makeBigTree(`${work}/big`, 4, 32);
    const push = spawnBurrow(["push", `${work}/big`, ...server.clientArgs("alice")], {
      BURROW_PASSWORD: "alice-pass",
    });
    await waitFor(async () => (await packBytes(server, "alice")) > 40 * MiB, 60_000);
    server.process.kill("SIGKILL");
    await server.stop();
    const status = await push.status;
    assert.notEqual(status.code, 0, "the client sees the server go");

    server = await startServer({ dataDir });
    const small = await run(server, ["pull", `${work}/small-restored`, "--name", "small"]);
    assert.equal(small.code, 0, small.stderr);
    await assertSameTree(`${work}/small`, `${work}/small-restored/small`);
    const again = await run(server, ["push", `${work}/big`]);
    assert.equal(again.code, 0, again.stderr);
    const big = await run(server, ["pull", `${work}/big-restored`, "--name", "big"]);
    assert.equal(big.code, 0, big.stderr);
    await assertSameTree(`${work}/big`, `${work}/big-restored/big`);
  } finally {
    await server.stop();
    await Deno.remove(work, { recursive: true });
    await Deno.remove(dataDir, { recursive: true });
  }
});
