/**
 * End to end: damaged data on the server's disk, users probing each other's data with crafted
 * requests, and many pushes at once.
 */
import assert from "node:assert/strict";
import { connectClient } from "../../src/client/connection.ts";
import { RemoteRepository } from "../../src/client/remote_repository.ts";
import { addUser, clientOf, type TestServer, withServer } from "./_harness.ts";
import { assertSameTree, makeTree } from "./_tree.ts";

async function packsUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await packsUnder(path));
    else if (entry.name.endsWith(".pack")) found.push(path);
  }
  return found.sort();
}

/** Flips one bit in the middle of the largest of `packs`. */
async function flipMiddleByteOfLargest(packs: string[]): Promise<void> {
  const sizes = await Promise.all(packs.map(async (p) => ({ p, size: (await Deno.stat(p)).size })));
  const largest = sizes.sort((x, y) => y.size - x.size)[0]!;
  const bytes = await Deno.readFile(largest.p);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x40;
  await Deno.writeFile(largest.p, bytes);
}

async function loggedIn(server: TestServer, user: string, password: string) {
  const caCerts = [await Deno.readTextFile(server.caPath)];
  const c = await connectClient({ hostname: "127.0.0.1", port: server.port, caCerts });
  const login = await c.login(user, password);
  return { client: c, login };
}

Deno.test("faults: a damaged chunk on the server makes pull exit 4 naming the file; other snapshots restore", async () => {
  await withServer(async (server, work) => {
    const run = clientOf(server, "alice", "alice-pass");
    await addUser(server, "alice", "alice-pass");
    await makeTree(`${work}/a`);
    assert.equal((await run(["push", `${work}/a`])).code, 0);
    const packsOfA = await packsUnder(`${server.dataDir}/repos/alice/chunks`);
    await makeTree(`${work}/b`);
    assert.equal((await run(["push", `${work}/b`])).code, 0);

    await flipMiddleByteOfLargest(packsOfA);

    const bad = await run(["pull", `${work}/restore-a`, "--name", "a"]);
    assert.equal(bad.code, 4, bad.stderr);
    assert.match(
      bad.stderr,
      /Cannot restore "a\/docs\/random\.bin": chunk \d+ (does not verify|is missing or damaged on the server)/,
    );
    await assert.rejects(Deno.stat(`${work}/restore-a/a/docs/random.bin`), Deno.errors.NotFound);

    const good = await run(["pull", `${work}/restore-b`, "--name", "b"]);
    assert.equal(good.code, 0, good.stderr);
    await assertSameTree(`${work}/b`, `${work}/restore-b/b`);
  });
});

Deno.test("faults: a damaged chunk costs only the files that need it: pull restores every other one, names each damaged file and exits 4", async () => {
  await withServer(async (server, work) => {
    const run = clientOf(server, "alice", "alice-pass");
    await addUser(server, "alice", "alice-pass");
    const source = `${work}/t`;
    await Deno.mkdir(`${source}/small`, { recursive: true });
    for (let i = 0; i < 60; i++) {
      await Deno.writeTextFile(`${source}/small/f${String(i).padStart(3, "0")}.txt`, `file ${i}\n`);
    }
    // Two files with the same content share their chunks, which fill almost all of the pack.
    const shared = new Uint8Array(4 * 1024 * 1024);
    for (let i = 0; i < shared.length; i += 65536) {
      crypto.getRandomValues(shared.subarray(i, i + 65536));
    }
    await Deno.writeFile(`${source}/twin-a.bin`, shared);
    await Deno.writeFile(`${source}/twin-b.bin`, shared);
    assert.equal((await run(["push", source])).code, 0);
    await flipMiddleByteOfLargest(await packsUnder(`${server.dataDir}/repos/alice/chunks`));

    const damaged =
      /^error: Cannot restore "t\/twin-([ab])\.bin": chunk \d+ (does not verify|is missing or damaged on the server)$/;
    const pulled = await run(["pull", `${work}/out`]);
    assert.equal(pulled.code, 4, pulled.stderr);
    const lines = pulled.stderr.trim().split("\n");
    assert.deepEqual(
      lines.filter((line) => line.startsWith("error: ")).map((line) => damaged.exec(line)?.[1])
        .sort(),
      ["a", "b"],
      pulled.stderr,
    );
    assert.equal(
      lines.at(-1),
      "burrow: 2 files could not be restored: their data is missing or damaged; run burrow check",
    );
    for (let i = 0; i < 60; i++) {
      const name = `f${String(i).padStart(3, "0")}.txt`;
      assert.equal(await Deno.readTextFile(`${work}/out/t/small/${name}`), `file ${i}\n`);
    }
    const restored = [...Deno.readDirSync(`${work}/out/t`)].map((e) => e.name).sort();
    assert.deepEqual(
      restored,
      ["small"],
      "no file, partial or complete-looking, for a damaged one",
    );

    const json = await run(["pull", `${work}/out-json`, "--json"]);
    assert.equal(json.code, 4, json.stderr);
    const summary = JSON.parse(json.stdout);
    assert.equal(summary.files, 60);
    assert.equal(summary.filesDamaged, 2);
    assert.deepEqual(
      summary.damaged.map((d: { path: string }) => d.path).sort(),
      ["t/twin-a.bin", "t/twin-b.bin"],
    );
    for (const d of summary.damaged) assert.ok(Number.isInteger(d.chunk), JSON.stringify(d));

    for (const archive of ["out.zip", "out.tar"]) {
      const refused = await run(["pull", `${work}/${archive}`]);
      assert.equal(refused.code, 4, refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(
          `Cannot write ".*/${
            archive.replace(".", "\\.")
          }": "t/twin-[ab]\\.bin": chunk \\d+ .*; no archive was written`,
        ),
      );
      await assert.rejects(Deno.lstat(`${work}/${archive}`), Deno.errors.NotFound);
    }
  });
});

Deno.test("faults: a truncated pack makes pull exit 4 naming the file, after restoring the others", async () => {
  await withServer(async (server, work) => {
    const run = clientOf(server, "alice", "alice-pass");
    await addUser(server, "alice", "alice-pass");
    await makeTree(`${work}/a`);
    // 40 MiB of file data fills the first 32 MiB pack by itself; the file list lands later.
    const big = new Uint8Array(40 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
    await Deno.writeFile(`${work}/a/big.bin`, big);
    assert.equal((await run(["push", `${work}/a`])).code, 0);
    const packs = await packsUnder(`${server.dataDir}/repos/alice/chunks`);
    const sizes = await Promise.all(
      packs.map(async (p) => ({ p, size: (await Deno.stat(p)).size })),
    );
    const largest = sizes.sort((x, y) => y.size - x.size)[0]!;
    await Deno.truncate(largest.p, Math.floor(largest.size / 2));
    const bad = await run(["pull", `${work}/restore`]);
    assert.equal(bad.code, 4, bad.stderr);
    const lines = bad.stderr.trim().split("\n");
    assert.equal(lines.length, 2, bad.stderr);
    assert.match(
      lines[0]!,
      /^error: Cannot restore "a\/big\.bin": chunk \d+ is missing or damaged on the server$/,
    );
    assert.equal(
      lines[1],
      "burrow: 1 file could not be restored: its data is missing or damaged; run burrow check",
    );
    assert.doesNotMatch(bad.stderr, /\/repos\//, "no server path reaches the client");
    assert.match(server.stderrText(), /damaged chunk/);
    await assertSameTree(`${work}/a/docs`, `${work}/restore/a/docs`);
  });
});

Deno.test("faults: a user cannot read or list another user's chunks, keys or snapshots", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    await addUser(server, "bob", "bob-pass");
    await makeTree(`${work}/a`);
    assert.equal((await clientOf(server, "alice", "alice-pass")(["push", `${work}/a`])).code, 0);

    const alice = await loggedIn(server, "alice", "alice-pass");
    const aliceSet = await alice.client.listChunkIds();
    await alice.client.close();
    assert.ok(aliceSet.size > 0);
    const listed = new Uint8Array(aliceSet.shared.buffer, 0, aliceSet.size * 32);
    const aliceIds = Array.from(
      { length: aliceSet.size },
      (_, i) => listed.slice(i * 32, i * 32 + 32),
    );

    const bob = await loggedIn(server, "bob", "bob-pass");
    try {
      assert.equal((await bob.client.listChunkIds()).size, 0);
      assert.deepEqual(await bob.client.listSnapshots(), { snapshots: [] });
      assert.equal(await bob.client.getWrappedKey(), null);
      const reply = await bob.client.getChunks(aliceIds.slice(0, 10));
      assert.equal(reply.blobs.length, 0, "bob gets none of alice's blobs");
      assert.equal(reply.missing.length, Math.min(10, aliceIds.length));
      assert.equal(await RemoteRepository.open(bob.client, bob.login, { create: false }), null);
    } finally {
      await bob.client.close();
    }
  });
});

Deno.test("faults: eight users and two pushes of one user at once all succeed and verify", async () => {
  await withServer(async (server, work) => {
    const users = Array.from({ length: 8 }, (_, i) => `user${i}`);
    for (const user of users) await addUser(server, user, `${user}-pass`);
    const jobs = users.map((user) => ({ user, dir: `${work}/${user}` }));
    jobs.push({ user: "user0", dir: `${work}/user0-second` });
    for (const job of jobs) await makeTree(job.dir);
    const results = await Promise.all(
      jobs.map((job) => clientOf(server, job.user, `${job.user}-pass`)(["push", job.dir])),
    );
    results.forEach((r, i) => assert.equal(r.code, 0, `${jobs[i]!.dir}: ${r.stderr}`));
    for (const job of jobs) {
      const name = job.dir.slice(job.dir.lastIndexOf("/") + 1);
      const dest = `${work}/restored-${name}`;
      const pulled = await clientOf(server, job.user, `${job.user}-pass`)([
        "pull",
        dest,
        "--name",
        name,
      ]);
      assert.equal(pulled.code, 0, pulled.stderr);
      await assertSameTree(job.dir, `${dest}/${name}`);
    }
  });
});
