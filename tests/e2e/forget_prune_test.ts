/**
 * End to end: `forget` by policy and by id, `prune` and `forget --prune` through the real command
 * line: what they list, what they remove, that the space comes back, and that every snapshot left
 * still restores byte for byte.
 */
import assert from "node:assert/strict";
import { addUser, burrow, clientOf, type RunResult, withServer } from "./_harness.ts";
import { assertSameTree } from "./_tree.ts";

/** Writes version `v` of a small tree: one file that changes each time, one that does not. */
async function writeVersion(root: string, v: number): Promise<void> {
  await Deno.mkdir(root, { recursive: true });
  const random = new Uint8Array(200_000);
  for (let at = 0; at < random.length; at += 65_536) {
    crypto.getRandomValues(random.subarray(at, at + 65_536));
  }
  await Deno.writeFile(`${root}/changing.bin`, random);
  await Deno.writeTextFile(`${root}/same.txt`, "unchanged\n".repeat(100));
  await Deno.writeTextFile(`${root}/version.txt`, `version ${v}\n`);
}

function ok(result: RunResult): RunResult {
  assert.equal(result.code, 0, result.stderr);
  return result;
}

Deno.test("forget: refuses without a --keep-* rule or an id (exit 2), and both at once", async () => {
  const none = await burrow(["forget", "--server", "127.0.0.1:1"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no --keep-\* rule and no snapshot ID/);
  const both = await burrow(["forget", "0123456789abcdef", "--keep-last", "1"]);
  assert.equal(both.code, 2);
  const bad = await burrow(["forget", "--keep-daily", "0"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--keep-daily "0"/);
  const within = await burrow(["forget", "--keep-within", "2w"]);
  assert.equal(within.code, 2);
});

Deno.test("forget --keep-last and --prune free the space of old snapshots; the rest restores", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const tree = `${work}/docs`;
    for (let v = 1; v <= 3; v++) {
      await writeVersion(tree, v);
      ok(await run(["push", tree]));
    }
    const dry = JSON.parse(
      ok(await run(["forget", "--keep-last", "1", "--dry-run", "--json"])).stdout,
    );
    assert.deepEqual([dry.removed, dry.kept], [2, 1]);
    assert.deepEqual(dry.snapshots[0].reasons, ["last snapshot"]);
    assert.equal(JSON.parse(ok(await run(["snapshots", "--json"])).stdout).length, 3);

    const table = ok(await run(["forget", "--keep-last", "1", "--name", "docs"])).stdout;
    assert.match(table, /^ACTION\s+ID\s+SET\s+TIME\s+REASONS/);
    assert.match(table, /keep .* last snapshot/);
    assert.match(table, /removed 2 snapshots, kept 1/);
    assert.equal(JSON.parse(ok(await run(["snapshots", "--json"])).stdout).length, 1);

    const dryPrune = JSON.parse(ok(await run(["prune", "--dry-run", "--json"])).stdout);
    assert.ok(dryPrune.bytesFreed > 0 && dryPrune.dryRun, JSON.stringify(dryPrune));
    const pruned = JSON.parse(ok(await run(["prune", "--max-unused", "0", "--json"])).stdout);
    assert.ok(pruned.bytesFreed >= 300_000, JSON.stringify(pruned));
    assert.ok(pruned.blobsRemoved >= 2, JSON.stringify(pruned));
    const again = JSON.parse(ok(await run(["prune", "--json"])).stdout);
    assert.deepEqual([again.blobsRemoved, again.bytesFreed], [0, 0]);
    assert.match(ok(await run(["prune"])).stdout, /^packs: \d+ before, \d+ after/m);

    ok(await run(["pull", `${work}/restored`]));
    await assertSameTree(tree, `${work}/restored/docs`);
    ok(await run(["check"]));
    assert.match(server.stderrText(), /prune finished/);
  });
});

Deno.test("forget ID removes exactly that snapshot; an unknown id is refused and removes nothing", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const tree = `${work}/docs`;
    for (let v = 1; v <= 2; v++) {
      await writeVersion(tree, v);
      ok(await run(["push", tree]));
    }
    const [first, second] = JSON.parse(ok(await run(["snapshots", "--json"])).stdout);
    const unknown = await run(["forget", first.id, "ffffffffffffffff"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Cannot forget snapshot ffffffffffffffff: it does not exist/);
    const badId = await run(["forget", "not-an-id"]);
    assert.equal(badId.code, 2);
    assert.equal(JSON.parse(ok(await run(["snapshots", "--json"])).stdout).length, 2);
    const result = JSON.parse(ok(await run(["forget", first.id, "--prune", "--json"])).stdout);
    assert.deepEqual(result.snapshots.map((s: { id: string }) => s.id), [first.id]);
    assert.ok(result.prune.bytesFreed > 0, JSON.stringify(result.prune));
    const left = JSON.parse(ok(await run(["snapshots", "--json"])).stdout);
    assert.deepEqual(left.map((s: { id: string }) => s.id), [second.id]);
    ok(await run(["pull", `${work}/restored`]));
    await assertSameTree(tree, `${work}/restored/docs`);
  });
});
