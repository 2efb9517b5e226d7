/**
 * End to end: a client given several servers (`--server A,B`) uses the first that answers, and a
 * push whose server dies on the way goes on through the next one.
 */
import assert from "node:assert/strict";
import { cp } from "node:fs/promises";
import { addUser, burrow, startServer, type TestServer } from "./_harness.ts";

const PASSWORD = "failover-pass-1";
const FILES = 12;

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Runs a client command as alice against the servers listed in `servers`, trusting `ca`. */
function client(servers: string, ca: string, args: string[]) {
  return burrow([...args, "--server", servers, "--ca", ca, "--user", "alice"], {
    env: { BURROW_PASSWORD: PASSWORD },
  });
}

/**
 * Resolves once a pack (sealed or being written) exists in alice's repository on `server`.
 * @throws {Error} when `ended` settles first (the push finished or failed before any pack)
 */
async function firstPack(server: TestServer, ended: Promise<unknown>): Promise<void> {
  const folder = `${server.dataDir}/repos/alice/chunks/packs`;
  let done = false;
  void ended.finally(() => done = true);
  while (!done) {
    try {
      for await (const sub of Deno.readDir(folder)) {
        if (!sub.isDirectory) continue;
        for await (const file of Deno.readDir(`${folder}/${sub.name}`)) {
          if (/\.pack(\.tmp)?$/.test(file.name)) return;
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the push ended before the first server wrote a pack");
}

Deno.test("failover: a client given two servers uses the second when the first does not answer", async () => {
  const server = await startServer();
  try {
    await addUser(server, "alice", PASSWORD);
    const listed = await client(`127.0.0.1:${closedPort()},${server.address}`, server.caPath, [
      "snapshots",
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /no snapshots/);
    const none = await client(
      `127.0.0.1:${closedPort()},127.0.0.1:${closedPort()}`,
      server.caPath,
      [
        "snapshots",
      ],
    );
    assert.equal(none.code, 1, none.stderr);
    assert.match(none.stderr, /^burrow: Cannot connect to any of 2 servers: /m);
    const bad = await client(`${server.address},`, server.caPath, ["snapshots"]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /Invalid server address ""/);
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
  }
});

Deno.test("failover: a push whose server is killed mid-way completes through the next server", async () => {
  const first = await startServer();
  const secondData = await Deno.makeTempDir({ prefix: "burrow-e2e-" });
  await cp(`${first.dataDir}/tls`, `${secondData}/tls`, { recursive: true });
  const second = await startServer({ dataDir: secondData });
  const work = await Deno.makeTempDir({ prefix: "burrow-e2e-work-" });
  try {
    await addUser(first, "alice", PASSWORD);
    await addUser(second, "alice", PASSWORD);
    const source = `${work}/tree`;
    await Deno.mkdir(source);
    for (let i = 0; i < FILES; i++) {
      const bytes = new Uint8Array(8 * 1024 * 1024);
      for (let at = 0; at < bytes.length; at += 65536) {
        crypto.getRandomValues(bytes.subarray(at, at + 65536));
      }
      await Deno.writeFile(`${source}/part-${i}.bin`, bytes);
    }
    const pushing = client(`${first.address},${second.address}`, first.caPath, ["push", source]);
    await firstPack(first, pushing).catch(async (error) => {
      throw new Error(`${error.message}: ${(await pushing).stderr}`);
    });
    first.process.kill("SIGKILL");
    const pushed = await pushing;
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(
      pushed.stderr,
      new RegExp(`lost the server ${first.address}: .*; going on through ${second.address}`),
    );
    const pulled = await client(second.address, second.caPath, ["pull", `${work}/out`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    for (let i = 0; i < FILES; i++) {
      const name = `part-${i}.bin`;
      assert.deepEqual(
        await Deno.readFile(`${work}/out/tree/${name}`),
        await Deno.readFile(`${source}/${name}`),
        name,
      );
    }
  } finally {
    try {
      first.process.kill("SIGKILL");
    } catch {
      // Killed by the test already.
    }
    await first.process.status;
    await second.stop();
    for (const folder of [work, first.dataDir, secondData]) {
      await Deno.remove(folder, { recursive: true });
    }
  }
});
