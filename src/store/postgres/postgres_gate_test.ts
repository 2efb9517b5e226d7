/**
 * The push/prune gate across servers on a real PostgreSQL (each `PostgresLocks` plays one
 * server); ignored without a test server.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { BurrowError, NotFoundError } from "../../errors.ts";
import {
  postgresMissing,
  reportIgnored,
  type TestDatabase,
  withTestDatabase,
} from "../../../tests/_postgres.ts";
import { PostgresLocks } from "./postgres_gate.ts";
import { ensureRepositorySchema } from "./_repository_schema.ts";
import { retireRepository } from "./postgres_retired.ts";

reportIgnored("postgres_gate_test.ts");
const REPO = "alice/2026-01-01T00:00:00.000Z";
const isBusy = (error: unknown) => error instanceof BurrowError && error.code === "BUSY";

/** Runs `body` with three servers' lock connections on a fresh database. */
function gateTest(
  name: string,
  body: (servers: PostgresLocks[], sql: postgres.Sql) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: postgresMissing !== null,
    fn: () =>
      withTestDatabase(async (db: TestDatabase) => {
        const pools = [0, 1, 2].map(() => postgres(db.url, { onnotice: false, max: 2 }));
        const servers = pools.map((sql) => new PostgresLocks(sql));
        try {
          await ensureRepositorySchema(pools[0]!);
          await body(servers, pools[0]!);
        } finally {
          for (const server of servers) await server.close();
          for (const sql of pools) await sql.end();
        }
      }),
  });
}

gateTest("PostgresGate: a push on one server keeps a prune on another out, and back", async (s) => {
  const [a, b] = s.map((server) => server.gate(REPO));
  const leavePush = await a!.enterPush("store chunks");
  const leaveSecond = await a!.enterPush("store chunks");
  await assert.rejects(
    b!.enterPrune(300),
    (e) => isBusy(e) && /push .* another server/.test(`${e}`),
  );
  await leavePush();
  await assert.rejects(b!.enterPrune(0), isBusy, "the second push on a still holds it");
  await leaveSecond();
  const leavePrune = await b!.enterPrune(0);
  await assert.rejects(a!.enterPush("list chunks"), (e) => isBusy(e) && /prune/.test(`${e}`));
  await assert.rejects(s[2]!.gate(REPO).enterPrune(0), isBusy, "one prune at a time");
  await leavePrune();
  await (await a!.enterPush("list chunks"))();
});

gateTest("PostgresGate: a waiting prune keeps new pushes out on every server", async (s) => {
  const [a, b, c] = s.map((server) => server.gate(REPO));
  const leavePush = await a!.enterPush("store chunks");
  const prune = b!.enterPrune(10_000);
  // Once the prune waits, a push starting on a third server is refused at once.
  let refused = false;
  for (let i = 0; i < 50 && !refused; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    refused = await c!.enterPush("list chunks").then(async (leave) => {
      await leave();
      return false;
    }, (error) => isBusy(error));
  }
  assert.ok(refused, "a push meets BUSY while a prune waits");
  await leavePush();
  const leavePrune = await prune;
  await leavePrune();
});

gateTest(
  "PostgresGate: a waiting prune keeps out new pushes on a server already pushing",
  async (s) => {
    const [a, b] = s.map((server) => server.gate(REPO));
    const leavePush = await a!.enterPush("store chunks");
    const prune = b!.enterPrune(10_000);
    let refused = false;
    for (let i = 0; i < 50 && !refused; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      refused = await a!.enterPush("list chunks").then(async (leave) => {
        await leave();
        return false;
      }, (error) => isBusy(error));
    }
    assert.ok(refused, "the second push on a meets BUSY while the prune waits");
    await leavePush();
    await (await prune)();
  },
);

gateTest("PostgresGate: other repositories are not held", async (s) => {
  const leave = await s[0]!.gate(REPO).enterPush("store chunks");
  await (await s[1]!.gate("bob/2026-01-01T00:00:00.000Z").enterPrune(0))();
  await leave();
});

gateTest("PostgresLocks.close() lets go of every lock of that server", async (s) => {
  await s[0]!.gate(REPO).enterPush("store chunks");
  await s[0]!.close();
  await (await s[1]!.gate(REPO).enterPrune(0))();
});

gateTest(
  "PostgresGate: a retired repository takes no push nor prune; a removal holds it",
  async (s, sql) => {
    const [a, b] = s.map((server) => server.gate(REPO));
    const leavePush = await a!.enterPush("store chunks");
    assert.equal(await b!.holdForRemoval(200), null, "a push on another server keeps it out");
    await leavePush();
    const leave = await b!.holdForRemoval(0);
    assert.ok(leave !== null);
    await assert.rejects(a!.enterPush("list chunks"), isBusy, "held for the removal");
    await sql.begin((tx) => retireRepository(tx, "alice", "2026-01-01T00:00:00.000Z", null));
    await leave();
    const removed = (e: unknown) =>
      e instanceof NotFoundError && /account .* was removed/.test(`${e}`);
    await assert.rejects(a!.enterPush("list chunks"), removed);
    await assert.rejects(a!.enterPrune(0), removed);
    // Refused pushes and prunes hold nothing: the repository can still be held for its purge.
    const again = await s[2]!.gate(REPO).holdForRemoval(0);
    assert.ok(again !== null);
    await again();
  },
);
