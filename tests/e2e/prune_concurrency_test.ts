/**
 * End to end: pushes, forgets and prunes of one user at the same time. Each either completes or
 * is refused with a clear message (a prune is running; a prune ran since the push listed the
 * chunks); afterwards `check` passes and every snapshot left restores byte for byte.
 */
import assert from "node:assert/strict";
import { addUser, clientOf, type RunResult, withServer } from "./_harness.ts";
import { assertSameTree } from "./_tree.ts";

const ROUNDS = 4;
const REFUSED =
  /a prune of this repository is running|a prune ran since this push|another prune|a push to this repository is still running/;

/** Writes round `round` of the tree: a new random file, and its number in version.txt. */
async function writeRound(root: string, round: number): Promise<void> {
  await Deno.mkdir(root, { recursive: true });
  const bytes = new Uint8Array(60_000);
  for (let at = 0; at < bytes.length; at += 65_536) {
    crypto.getRandomValues(bytes.subarray(at, at + 65_536));
  }
  await Deno.writeFile(`${root}/data-${round % 3}.bin`, bytes);
  await Deno.writeTextFile(`${root}/version.txt`, `${round}\n`);
}

function okOrRefused(result: RunResult, what: string): boolean {
  if (result.code === 0) return true;
  assert.equal(result.code, 1, `${what}: ${result.stderr}`);
  assert.match(result.stderr, REFUSED, what);
  return false;
}

Deno.test("prune concurrency: pushes, forgets and prunes at once never commit a snapshot with a pruned chunk", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const tree = `${work}/docs`;
    await writeRound(tree, 0);
    assert.equal((await run(["push", tree])).code, 0);
    await new Deno.Command("cp", { args: ["-a", tree, `${work}/expect-0`] }).output();
    let pushed = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      await writeRound(tree, round);
      await new Deno.Command("cp", { args: ["-a", tree, `${work}/expect-${round}`] }).output();
      const [push, forget, prune] = await Promise.all([
        run(["push", tree]),
        run(["forget", "--keep-last", "2"]),
        run(["prune", "--max-unused", "0"]),
      ]);
      if (okOrRefused(push, `push ${round}`)) pushed++;
      okOrRefused(forget, `forget ${round}`);
      okOrRefused(prune, `prune ${round}`);
    }
    assert.ok(pushed > 0, "some push got through");
    const check = await run(["check", "--read-data"]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const snapshots = JSON.parse((await run(["snapshots", "--json"])).stdout);
    assert.ok(snapshots.length >= 1);
    for (const { id } of snapshots) {
      const dest = `${work}/restored-${id}`;
      const pulled = await run(["pull", dest, "--snapshot", id]);
      assert.equal(pulled.code, 0, pulled.stderr);
      const round = (await Deno.readTextFile(`${dest}/docs/version.txt`)).trim();
      await assertSameTree(`${work}/expect-${round}`, `${dest}/docs`);
    }
  });
});
