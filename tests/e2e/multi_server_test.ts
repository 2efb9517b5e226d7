/**
 * End to end: three `burrow serve` processes sharing one PostgreSQL database (accounts, snapshot
 * records, keys, chunk index) and one S3 prefix (packs) are one service: what is pushed through
 * one is pulled through another, and two pushes of one user through two servers at once both
 * commit and end up stored once. Needs both test services; ignored, with the reason printed,
 * without them.
 */
// deno-lint-ignore-file no-console
import assert from "node:assert/strict";
import postgres from "postgres";
import { cp } from "node:fs/promises";
import { makeBigTree, MiB } from "./_big_tree.ts";
import { packObjectBytes, serviceMissing, withService } from "./_service.ts";
import { assertSameTree, makeTree } from "./_tree.ts";

if (serviceMissing !== null) console.log(`multi_server_test.ts: ignored: ${serviceMissing}`);
const ignore = serviceMissing !== null;
const PASSWORD = "alice-service-pass";

Deno.test({
  name: "service: a push through one server pulls back byte for byte through another",
  ignore,
  fn: () =>
    withService(3, async (service) => {
      await service.addUser("alice", PASSWORD);
      const source = `${service.work}/project`;
      await makeTree(source);
      const pushed = await service.client("alice", PASSWORD, [0], ["push", source]);
      assert.equal(pushed.code, 0, pushed.stderr);
      const listed = await service.client("alice", PASSWORD, [2], ["snapshots", "--json"]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(JSON.parse(listed.stdout).length, 1, listed.stdout);
      const pulled = await service.client("alice", PASSWORD, [1], ["pull", `${service.work}/b`]);
      assert.equal(pulled.code, 0, pulled.stderr);
      await assertSameTree(source, `${service.work}/b/project`);
      const checked = await service.client("alice", PASSWORD, [2], ["check", "--read-data"]);
      assert.equal(checked.code, 0, checked.stderr);
      for (const server of service.servers) {
        const local = await Array.fromAsync(Deno.readDir(`${server.dataDir}/repos/alice`))
          .catch(() => []);
        const names = local.map((entry) => entry.name);
        assert.ok(!names.includes("chunks"), `no chunks under ${server.dataDir}`);
        for (const sub of ["snapshots", "keys"]) {
          const held = await Array.fromAsync(Deno.readDir(`${server.dataDir}/repos/alice/${sub}`))
            .catch(() => []);
          assert.deepEqual(held, [], `nothing in ${sub}/ of ${server.dataDir}`);
        }
      }
    }),
});

Deno.test({
  name: "service: two pushes of one user through two servers at once both commit, stored once",
  ignore,
  fn: () =>
    withService(3, async (service) => {
      await service.addUser("alice", PASSWORD);
      // A first push makes the key, so the two at once both find it.
      const seed = `${service.work}/seed`;
      await makeTree(seed);
      const first = await service.client("alice", PASSWORD, [2], ["push", seed]);
      assert.equal(first.code, 0, first.stderr);
      const one = `${service.work}/one`;
      const bytes = await makeBigTree(one, 3, 8);
      const two = `${service.work}/two`;
      await cp(one, two, { recursive: true });
      const [a, b] = await Promise.all([
        service.client("alice", PASSWORD, [0], ["push", one]),
        service.client("alice", PASSWORD, [1], ["push", two]),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const sql = postgres(service.db.url, { onnotice: false, max: 1 });
      try {
        const [row] = await sql`SELECT sum(length) AS bytes FROM burrow_chunks`;
        const indexed = Number(row!.bytes);
        assert.ok(indexed > bytes && indexed < bytes * 1.2, `indexed ${indexed} of ${bytes}`);
      } finally {
        await sql.end();
      }
      // What both stored twice at once, a prune through the third server reclaims.
      const pruned = await service.client("alice", PASSWORD, [2], ["prune"]);
      assert.equal(pruned.code, 0, pruned.stderr);
      const stored = await packObjectBytes(service);
      assert.ok(stored < bytes * 1.2, `packs hold ${stored / MiB} MiB of ${bytes / MiB} MiB`);
      // Each set comes back as its own source (the copy's files have the copy's mtimes).
      for (const [via, set, source] of [[1, "one", one], [0, "two", two]] as const) {
        const dest = `${service.work}/back-${set}`;
        const pulled = await service.client("alice", PASSWORD, [via], [
          "pull",
          dest,
          "--name",
          set,
        ]);
        assert.equal(pulled.code, 0, pulled.stderr);
        await assertSameTree(source, `${dest}/${set}`);
      }
    }),
});

Deno.test({
  name: "service: a 500 MiB push whose server is SIGKILLed mid-way completes through another",
  ignore,
  fn: () =>
    withService(3, async (service) => {
      await service.addUser("alice", PASSWORD);
      await service.addUser("bob", "bob-service-pass");
      const small = `${service.work}/notes`;
      await makeTree(small);
      const bobs = await service.client("bob", "bob-service-pass", [1], ["push", small]);
      assert.equal(bobs.code, 0, bobs.stderr);
      const big = `${service.work}/big`;
      await makeBigTree(big, 50, 10);
      const pushing = service.client("alice", PASSWORD, [0, 1, 2], ["push", big]);
      let ended = false;
      void pushing.finally(() => ended = true);
      // Mid-way: once the first pack of the push is in the shared index.
      const sql = postgres(service.db.url, { onnotice: false, max: 1 });
      try {
        for (;;) {
          const [row] = await sql`SELECT count(*) AS n FROM burrow_packs WHERE repo LIKE 'alice/%'`;
          if (Number(row!.n) > 0) break;
          if (ended) throw new Error(`the push ended first: ${(await pushing).stderr}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        await sql.end();
      }
      service.servers[0]!.process.kill("SIGKILL");
      const pushed = await pushing;
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.match(pushed.stderr, /lost the server .*; going on through /);
      for (
        const [user, password, set, source] of [
          ["alice", PASSWORD, "big", big],
          ["bob", "bob-service-pass", "notes", small],
        ] as const
      ) {
        const dest = `${service.work}/back-${user}`;
        const pulled = await service.client(user, password, [2], ["pull", dest, "--name", set]);
        assert.equal(pulled.code, 0, pulled.stderr);
        await assertSameTree(source, `${dest}/${set}`);
        const checked = await service.client(user, password, [1], ["check", "--read-data"]);
        assert.equal(checked.code, 0, checked.stderr);
      }
    }),
});

Deno.test({
  name: "service: a quota holds across servers",
  ignore,
  fn: () =>
    withService(3, async (service) => {
      await service.addUser("alice", PASSWORD, ["--quota", "20MiB"]);
      const first = `${service.work}/first`;
      await makeBigTree(first, 3, 4);
      const pushed = await service.client("alice", PASSWORD, [0], ["push", first]);
      assert.equal(pushed.code, 0, pushed.stderr);
      const second = `${service.work}/second`;
      await makeBigTree(second, 3, 4);
      const refused = await service.client("alice", PASSWORD, [1], ["push", second]);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /quota exceeded/);
      const pulled = await service.client("alice", PASSWORD, [2], ["pull", `${service.work}/b`]);
      assert.equal(pulled.code, 0, pulled.stderr);
      await assertSameTree(first, `${service.work}/b/first`);
    }),
});
