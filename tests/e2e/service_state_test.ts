/**
 * End to end: what the servers of a service keep locally is only what they can rebuild. The
 * usage `burrow users` shows (snapshots, stored bytes, last push) is read from PostgreSQL, the
 * same whichever server the pushes went through and whichever data folder the command is given;
 * no server makes a repository folder for a shared repository. Needs both test services;
 * ignored, with the reason printed, without them.
 */
// deno-lint-ignore-file no-console
import assert from "node:assert/strict";
import postgres from "postgres";
import { serviceMissing, withService } from "./_service.ts";
import { burrow } from "./_harness.ts";
import { makeTree } from "./_tree.ts";

if (serviceMissing !== null) console.log(`service_state_test.ts: ignored: ${serviceMissing}`);
const PASSWORD = "alice-service-pass";

interface UserRow {
  name: string;
  snapshots: number;
  storedBytes: number | null;
  lastPush: string | null;
}

Deno.test({
  name: "service: burrow users shows what was pushed through every server; no repository folders",
  ignore: serviceMissing !== null,
  fn: () =>
    withService(3, async (service) => {
      await service.addUser("alice", PASSWORD);
      await service.addUser("bob", "bob-service-pass");
      for (const [via, set] of [[0, "one"], [1, "two"]] as const) {
        const tree = `${service.work}/${set}`;
        await makeTree(tree);
        const pushed = await service.client("alice", PASSWORD, [via], ["push", tree]);
        assert.equal(pushed.code, 0, pushed.stderr);
      }
      const sql = postgres(service.db.url, { onnotice: false, max: 1 });
      let indexed: number;
      try {
        const [row] = await sql`SELECT sum(length) AS n FROM burrow_chunks
          WHERE repo LIKE 'alice/%'`;
        indexed = Number(row!.n);
      } finally {
        await sql.end();
      }
      for (const server of service.servers) {
        const listed = await burrow(
          ["users", "--json", "--data", server.dataDir, "--users", service.db.urlWithoutPassword],
          { env: { PGPASSWORD: service.db.password } },
        );
        assert.equal(listed.code, 0, listed.stderr);
        const rows: UserRow[] = JSON.parse(listed.stdout);
        const alice = rows.find((row) => row.name === "alice")!;
        assert.equal(alice.snapshots, 2, server.dataDir);
        assert.equal(alice.storedBytes, indexed);
        assert.ok(alice.lastPush !== null && Date.now() - Date.parse(alice.lastPush) < 600_000);
        const bob = rows.find((row) => row.name === "bob")!;
        assert.deepEqual([bob.snapshots, bob.storedBytes, bob.lastPush], [0, 0, null]);
        const repos = await Array.fromAsync(Deno.readDir(`${server.dataDir}/repos`)).catch(
          () => [],
        );
        assert.deepEqual(repos, [], `no repository folder under ${server.dataDir}`);
      }
    }),
});
