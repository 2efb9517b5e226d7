/**
 * End to end: a prune is exclusive across the servers of a service (one PostgreSQL database, one
 * S3 prefix). A push of the user in progress through one server makes `forget --prune` through
 * another wait (and answer BUSY once its wait, `serve --prune-wait`, is up); while that prune
 * waits, and while it runs, pushes of the user through any server are refused at once; afterwards
 * every snapshot restores byte for byte and `check --read-data` passes. Needs both test services;
 * ignored, with the reason printed, without them.
 */
// deno-lint-ignore-file no-console
import assert from "node:assert/strict";
import postgres from "postgres";
import { makeBigTree, waitFor } from "./_big_tree.ts";
import { serviceMissing, type TestService, withService } from "./_service.ts";
import type { RunResult } from "./_harness.ts";
import { assertSameTree, makeTree } from "./_tree.ts";

if (serviceMissing !== null) console.log(`service_prune_test.ts: ignored: ${serviceMissing}`);
const PASSWORD = "alice-service-pass";
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const PRUNE_RUNNING = /Cannot list chunks: a prune of this repository is running/;

/** Counts what a test watches in the service's database. */
async function count(service: TestService, query: "packs" | "exclusive"): Promise<number> {
  const sql = postgres(service.db.url, { onnotice: false, max: 1 });
  try {
    const [row] = query === "packs"
      ? await sql`SELECT count(*) AS n FROM burrow_packs WHERE repo LIKE 'alice/%'`
      // The advisory locks held exclusively: a prune's intent lock while it waits, its intent
      // lock and the repository's lock once it runs.
      : await sql`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'
          AND mode = 'ExclusiveLock' AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
    return Number(row!.n);
  } finally {
    await sql.end();
  }
}

/** `burrow ARGS` as alice through server `via`, its output kept, so a test may stop it. */
function spawnAlice(service: TestService, via: number, args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args, "--server", service.servers[via]!.address],
    env: {
      NO_COLOR: "1",
      BURROW_PASSWORD: PASSWORD,
      BURROW_CA: service.caPath,
      BURROW_USER: "alice",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const result = child.output().then((out): RunResult => ({
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  }));
  return { child, result };
}

/** Asserts that a push of `tree` as alice through each of `via` is refused: a prune runs. */
async function assertPushesRefused(service: TestService, tree: string, via: number[]) {
  for (const server of via) {
    const refused = await service.client("alice", PASSWORD, [server], ["push", tree]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, PRUNE_RUNNING);
  }
}

Deno.test({
  name: "service: a prune waits for a push on another server and keeps pushes out on every server",
  ignore: serviceMissing !== null,
  fn: () =>
    withService(3, async (service) => {
      await service.addUser("alice", PASSWORD);
      const notes = `${service.work}/notes`;
      const expected: Record<string, string> = {};
      await makeTree(notes);
      for (const version of [1, 2]) {
        await Deno.writeTextFile(`${notes}/version.txt`, `${version}\n`);
        const pushed = await service.client("alice", PASSWORD, [0], ["push", notes, "--json"]);
        assert.equal(pushed.code, 0, pushed.stderr);
        expected[JSON.parse(pushed.stdout).snapshot] = `${service.work}/expect-notes-${version}`;
        await new Deno.Command("cp", {
          args: ["-a", notes, `${service.work}/expect-notes-${version}`],
        })
          .output();
      }
      const big = `${service.work}/big`;
      await makeBigTree(big, 8, 16);
      const packs = await count(service, "packs");
      const push = spawnAlice(service, 1, ["push", big, "--json"]);
      let pushStopped = false;
      let pruneStopped: Deno.ChildProcess | null = null;
      try {
        await waitFor(async () => await count(service, "packs") > packs, 60_000);
        push.child.kill("SIGSTOP");
        pushStopped = true;

        // Its wait over (1 s on server 0, 30 s on the others), a prune answers BUSY, naming the
        // push; nothing is held afterwards.
        const busy = await service.client("alice", PASSWORD, [0], ["prune"]);
        assert.equal(busy.code, 1, busy.stderr);
        assert.match(busy.stderr, /a push to this repository is still running on another server/);
        assert.equal(await count(service, "exclusive"), 0);

        const prune = spawnAlice(service, 2, ["forget", "--keep-last", "1", "--prune"]);
        await waitFor(async () => await count(service, "exclusive") === 1, 30_000);
        // While the prune waits, pushes are refused on every server, the push's own included.
        await assertPushesRefused(service, notes, [0, 1, 2]);

        // The prune gets the repository once the push committed, and holds it while it runs:
        // its client is stopped in the middle, between prune_begin and its end.
        prune.child.kill("SIGSTOP");
        pruneStopped = prune.child;
        push.child.kill("SIGCONT");
        pushStopped = false;
        const pushed = await push.result;
        assert.equal(pushed.code, 0, pushed.stderr);
        expected[JSON.parse(pushed.stdout).snapshot] = big;
        await waitFor(async () => await count(service, "exclusive") === 2, 30_000);
        await assertPushesRefused(service, notes, [0, 1]);

        prune.child.kill("SIGCONT");
        pruneStopped = null;
        const pruned = await prune.result;
        assert.equal(pruned.code, 0, pruned.stderr);
        assert.equal(await count(service, "exclusive"), 0);
      } finally {
        if (pushStopped) push.child.kill("SIGCONT");
        pruneStopped?.kill("SIGCONT");
      }

      await Deno.writeTextFile(`${notes}/version.txt`, "3\n");
      const after = await service.client("alice", PASSWORD, [1], ["push", notes, "--json"]);
      assert.equal(after.code, 0, after.stderr);
      expected[JSON.parse(after.stdout).snapshot] = notes;
      const listed = await service.client("alice", PASSWORD, [0], ["snapshots", "--json"]);
      const ids = JSON.parse(listed.stdout).map((s: { id: string }) => s.id).sort();
      const forgotten = Object.keys(expected).filter((id) => !ids.includes(id));
      assert.equal(forgotten.length, 1, "forget --keep-last 1 removed the first notes");
      assert.equal(expected[forgotten[0]!], `${service.work}/expect-notes-1`);
      for (const [n, id] of ids.entries()) {
        const dest = `${service.work}/back-${id}`;
        const pulled = await service.client("alice", PASSWORD, [n % 3], [
          "pull",
          dest,
          "--snapshot",
          id,
        ]);
        assert.equal(pulled.code, 0, pulled.stderr);
        const source = expected[id]!;
        await assertSameTree(source, `${dest}/${source === big ? "big" : "notes"}`);
      }
      const checked = await service.client("alice", PASSWORD, [2], ["check", "--read-data"]);
      assert.equal(checked.code, 0, checked.stderr);
    }, { serverArgs: (i) => i === 0 ? ["--prune-wait", "1"] : [] }),
});
