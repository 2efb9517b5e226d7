/**
 * End to end: pushes interrupted by SIGKILL of the client or of the server. Nothing committed is
 * lost, and the push run again sends only what the server does not already have.
 */
import assert from "node:assert/strict";
import { addUser, clientOf, spawnBurrow, startServer, type TestServer } from "./_harness.ts";
import { assertSameTree, makeTree } from "./_tree.ts";

const MiB = 1024 * 1024;

/** Writes `files` files of `mib` MiB of random bytes each. */
async function makeBigTree(root: string, files: number, mib: number): Promise<number> {
  await Deno.mkdir(root, { recursive: true });
  const buffer = new Uint8Array(mib * MiB);
  for (let f = 0; f < files; f++) {
    for (let i = 0; i < buffer.length; i += 65536) {
      crypto.getRandomValues(buffer.subarray(i, i + 65536));
    }
    await Deno.writeFile(`${root}/big-${f}.bin`, buffer);
  }
  return files * mib * MiB;
}

/** Bytes in sealed packs and pack files being written under a user's chunk store. */
async function packBytes(server: TestServer, user: string): Promise<number> {
  let total = 0;
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.includes(".pack")) total += (await Deno.stat(path)).size;
    }
  };
  await walk(`${server.dataDir}/repos/${user}/chunks`).catch(() => {});
  return total;
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

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
