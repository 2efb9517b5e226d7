/**
 * End to end: `burrow userdel` on a service of several servers sharing PostgreSQL (accounts,
 * records, keys, chunk index) and S3 (packs). It refuses, changing nothing, while a push of the
 * user runs through any server; it retires the repository so no server reaches it and a new
 * account of the name starts empty; it keeps the backups whole, or with --purge deletes the
 * user's objects and rows and nothing of anyone else's; a purge cut short is finished by the next
 * `serve`. Needs both test services; ignored, with the reason printed, without them.
 */
// deno-lint-ignore-file no-console
import assert from "node:assert/strict";
import postgres from "postgres";
import { makeBigTree, waitFor } from "./_big_tree.ts";
import { serviceMissing, type TestService, withService } from "./_service.ts";
import { startServer } from "./_harness.ts";
import { assertSameTree, makeTree } from "./_tree.ts";

if (serviceMissing !== null) console.log(`service_userdel_test.ts: ignored: ${serviceMissing}`);
const ignore = serviceMissing !== null;
const PASSWORD = "alice-service-pass";
const TABLES = [
  "burrow_chunks",
  "burrow_packs",
  "burrow_snapshots",
  "burrow_keys",
  "burrow_repositories",
  "burrow_retired",
];

/** Rows of `user`'s repositories in each table, and the account rows of the name. */
async function rowsOf(service: TestService, user: string): Promise<Record<string, number>> {
  const sql = postgres(service.db.url, { onnotice: false, max: 1 });
  try {
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const [row] = await sql`SELECT count(*) AS n FROM ${sql(table)}
        WHERE repo LIKE ${`${user}/%`}`;
      counts[table] = Number(row!.n);
    }
    const [account] = await sql`SELECT count(*) AS n FROM burrow_users WHERE name = ${user}`;
    counts.burrow_users = Number(account!.n);
    return counts;
  } finally {
    await sql.end();
  }
}

/** The keys of the objects under `user`'s part of the service's prefix. */
async function objectsOf(service: TestService, user: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of service.objects.list(`${service.prefix}${user}/`)) keys.push(key);
  return keys;
}

Deno.test({
  name: "service userdel: refuses while a push runs on any server, keeps the backups out of reach",
  ignore,
  fn: () =>
    withService(2, async (service) => {
      await service.addUser("alice", PASSWORD);
      const small = `${service.work}/notes`;
      await makeTree(small);
      const first = await service.client("alice", PASSWORD, [0], ["push", small]);
      assert.equal(first.code, 0, first.stderr);
      const packsBefore = (await rowsOf(service, "alice")).burrow_packs!;

      const big = `${service.work}/big`;
      await makeBigTree(big, 8, 16);
      const push = service.spawnClient("alice", PASSWORD, [1], ["push", big]);
      let paused = false;
      try {
        // Mid-way: once a pack of this push is in the shared index.
        await waitFor(
          async () => (await rowsOf(service, "alice")).burrow_packs! > packsBefore,
          60_000,
        );
        push.kill("SIGSTOP");
        paused = true;
        const before = await rowsOf(service, "alice");
        assert.equal(before.burrow_snapshots, 1, "precondition: the push has not committed");
        for (const [flags, s3] of [[[], false], [["--purge"], true]] as const) {
          const refused = await service.admin(["userdel", "alice", ...flags], { s3 });
          assert.equal(refused.code, 1, refused.stderr + refused.stdout);
          assert.match(
            refused.stderr,
            /Cannot remove user "alice": a push or prune of theirs is running on a server; try again when it is done\n$/,
          );
        }
        // The server goes on sealing what it received; userdel changed nothing of its own.
        const after = await rowsOf(service, "alice");
        for (const table of ["burrow_users", "burrow_retired", "burrow_snapshots", "burrow_keys"]) {
          assert.equal(after[table], before[table], `nothing changed in ${table}`);
        }
      } finally {
        if (paused) push.kill("SIGCONT");
      }
      assert.equal((await push.status).code, 0, "the push completes");

      const removed = await service.admin(["userdel", "alice"]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /user "alice" removed; their backups are kept where no account/);
      const kept = await rowsOf(service, "alice");
      assert.equal(kept.burrow_users, 0);
      assert.equal(kept.burrow_retired, 1);
      assert.equal(kept.burrow_snapshots, 2, "the backups are kept whole");
      const keptObjects = await objectsOf(service, "alice");
      assert.ok(keptObjects.some((key) => key.endsWith(".pack")), keptObjects.join("\n"));
      for (const via of [0, 1]) {
        const gone = await service.client("alice", PASSWORD, [via], ["snapshots"]);
        assert.equal(gone.code, 3, gone.stderr);
      }

      // A new account of the name starts empty, on every server, and works.
      await service.addUser("alice", "new-alice-pass");
      const empty = await service.client("alice", "new-alice-pass", [1], ["snapshots", "--json"]);
      assert.equal(empty.code, 0, empty.stderr);
      assert.deepEqual(JSON.parse(empty.stdout), []);
      const pushed = await service.client("alice", "new-alice-pass", [0], ["push", small]);
      assert.equal(pushed.code, 0, pushed.stderr);
      const pulled = await service.client("alice", "new-alice-pass", [1], [
        "pull",
        `${service.work}/back`,
      ]);
      assert.equal(pulled.code, 0, pulled.stderr);
      await assertSameTree(small, `${service.work}/back/notes`);
      assert.deepEqual(
        await objectsOf(service, "alice").then((k) => k.length > keptObjects.length),
        true,
      );

      // --purge of a shared repository needs the servers' --store; without it nothing changes.
      const noStore = await service.admin(["userdel", "alice", "--purge"]);
      assert.equal(noStore.code, 2, noStore.stderr);
      assert.match(noStore.stderr, /Cannot purge user "alice": their backups are on S3; give/);
      assert.equal((await rowsOf(service, "alice")).burrow_users, 1);
    }),
});

Deno.test({
  name:
    "service userdel --purge: deletes the user's objects and rows only; serve finishes a cut-short one",
  ignore,
  fn: () =>
    withService(2, async (service) => {
      const users = [
        ["alice", PASSWORD],
        ["bob", "bob-service-pass"],
        ["carol", "carol-pass"],
        ["dave", "dave-pass"],
      ];
      const tree = `${service.work}/notes`;
      await makeTree(tree);
      for (const [user, password] of users) {
        await service.addUser(user!, password!);
        const pushed = await service.client(user!, password!, [0], ["push", tree]);
        assert.equal(pushed.code, 0, pushed.stderr);
      }

      // A --store other than the servers' finds none of her packs: refused, nothing changed.
      const wrong = await service.admin(["userdel", "alice", "--purge"], {
        s3: true,
        store: `s3://${service.objects.bucket}/elsewhere`,
      });
      assert.equal(wrong.code, 1, wrong.stderr);
      assert.match(
        wrong.stderr,
        /no object in s3:\/\/.*\/elsewhere\/alice\/.*give the servers' --store/,
      );
      assert.equal((await rowsOf(service, "alice")).burrow_users, 1);

      const purged = await service.admin(["userdel", "alice", "--purge"], { s3: true });
      assert.equal(purged.code, 0, purged.stderr);
      assert.match(purged.stdout, /user "alice" removed; their backups were deleted: s3:\/\//);
      assert.deepEqual(await objectsOf(service, "alice"), []);
      for (const [table, n] of Object.entries(await rowsOf(service, "alice"))) {
        assert.equal(n, 0, `no row of alice left in ${table}`);
      }

      // Kept first, then purged once the account is gone.
      const keep = await service.admin(["userdel", "bob"]);
      assert.equal(keep.code, 0, keep.stderr);
      const again = await service.admin(["userdel", "bob"]);
      assert.equal(again.code, 1, again.stderr);
      assert.match(
        again.stderr,
        /no such user \(the backups of 1 removed account\(s\) of that name are kept; --purge deletes them\)/,
      );
      const later = await service.admin(["userdel", "bob", "--purge"], { s3: true });
      assert.equal(later.code, 0, later.stderr);
      assert.match(later.stdout, /deleted the kept backups of 1 removed account\(s\) "bob"/);
      assert.deepEqual(await objectsOf(service, "bob"), []);
      assert.equal(Object.values(await rowsOf(service, "bob")).reduce((a, b) => a + b), 0);

      // A purge cut short after the account went: what is left of carol, as a crash leaves it.
      const sql = postgres(service.db.url, { onnotice: false, max: 1 });
      try {
        const carolKeys = await objectsOf(service, "carol");
        const stamp = carolKeys[0]!.slice(`${service.prefix}carol/`.length).split("/")[0];
        await sql.begin(async (tx) => {
          const [account] = await tx`DELETE FROM burrow_users WHERE name = 'carol'
            RETURNING created`;
          const created = (account!.created as Date).toISOString();
          await tx`INSERT INTO burrow_retired (repo, user_name, created, purge_objects)
            VALUES (${`carol/${created}`}, 'carol', ${created},
              ${`s3://${service.objects.bucket}/${service.prefix}carol/${stamp}/`})`;
        });
        await service.objects.remove(carolKeys.filter((key) => key.endsWith(".idx")));
      } finally {
        await sql.end();
      }
      assert.ok((await objectsOf(service, "carol")).length > 0, "precondition: objects left");
      const server = service.servers[1]!;
      assert.equal(await server.stop(), 0);
      const restarted = await startServer(service.serverOptions(server.dataDir));
      service.servers[1] = restarted;
      assert.deepEqual(await objectsOf(service, "carol"), [], "serve finished the purge");
      assert.equal(Object.values(await rowsOf(service, "carol")).reduce((a, b) => a + b), 0);

      // Nobody else's backups were touched.
      for (const via of [0, 1]) {
        const back = `${service.work}/dave-back-${via}`;
        const pulled = await service.client("dave", "dave-pass", [via], ["pull", back]);
        assert.equal(pulled.code, 0, pulled.stderr);
        await assertSameTree(tree, `${back}/notes`);
      }
      const checked = await service.client("dave", "dave-pass", [1], ["check", "--read-data"]);
      assert.equal(checked.code, 0, checked.stderr);
    }),
});
