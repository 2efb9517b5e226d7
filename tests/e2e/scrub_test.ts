/**
 * End to end: `burrow scrub` finds bit rot in a pack without any password, naming the user, the
 * pack and the blobs in it; passes on a healthy repository; refuses while a server runs; and
 * counts packs whose index predates pack hashes as not hash-checked (the server still loads them).
 */
import assert from "node:assert/strict";
import { addUser, burrow, clientOf, type RunResult, startServer, withServer } from "./_harness.ts";
import { assertSameTree, makeTree } from "./_tree.ts";
import { filesEnding } from "../_testing.ts";
import { decodeIndex, encodeIndex, type IndexEntry } from "../../src/store/_pack_format.ts";

function assertCode(result: RunResult, code: number, what: string): void {
  assert.equal(result.code, code, `${what}: ${result.stdout}\n${result.stderr}`);
}

/** The name (hex id) of a pack file. */
function packName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1, -".pack".length);
}

/** Rewrites an index as an index written before pack hashes: same entries, no pack SHA-256. */
async function dropPackHash(indexPath: string): Promise<void> {
  const decoded = decodeIndex(await Deno.readFile(indexPath), indexPath);
  assert.ok(decoded.packHash !== undefined, "a fresh index keeps its pack's SHA-256");
  const entries: IndexEntry[] = [];
  decoded.forEach((bytes, at, offset, length) => {
    entries.push({ id: bytes.slice(at, at + 32), offset, length });
  });
  await Deno.writeFile(indexPath, encodeIndex(decoded.packId.slice(), entries, 2));
}

Deno.test("scrub: finds a flipped byte without any password, naming user, pack and blobs", async (t) => {
  await withServer(async (server, work) => {
    const scrub = (args: string[] = []) => burrow(["scrub", "--data", server.dataDir, ...args]);
    for (const user of ["alice", "bob"]) {
      await addUser(server, user, `${user}-pass`);
      await makeTree(`${work}/${user}`);
      assertCode(
        await clientOf(server, user, `${user}-pass`)(["push", `${work}/${user}`]),
        0,
        "push",
      );
    }

    await t.step("it refuses while a server uses the data folder", async () => {
      const result = await scrub();
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /Cannot scrub the repositories: another burrow serve uses/);
    });
    await server.stop();

    await t.step("a healthy data folder passes, every pack hash-checked", async () => {
      const result = await scrub();
      assertCode(result, 0, "scrub");
      assert.match(result.stdout, /^user "alice": \d+ packs \(0 not hash-checked\), .*: ok$/m);
      assert.match(
        result.stdout,
        /^scrubbed 2 users: \d+ packs \(0 not hash-checked.*no damage found$/m,
      );
    });

    await t.step("a flipped byte makes it exit 4 naming user, pack and blob", async () => {
      const packs = await filesEnding(`${server.dataDir}/repos/bob/chunks/packs`, ".pack");
      const pack = packs[0]!;
      const bytes = await Deno.readFile(pack);
      bytes[bytes.length >> 1]! ^= 0x01;
      await Deno.writeFile(pack, bytes);
      const result = await scrub();
      assertCode(result, 4, "scrub");
      const name = packName(pack);
      assert.match(
        result.stdout,
        new RegExp(`^user "bob": pack ${name}: its bytes do not match the SHA-256`, "m"),
      );
      assert.match(
        result.stdout,
        new RegExp(`^user "bob": pack ${name}: blob [0-9a-f]{64}: `, "m"),
      );
      assert.match(result.stdout, /^user "alice": .*: ok$/m);
      assert.match(result.stdout, /1 problems found$/m);
      assert.match(result.stderr, /Cannot verify the stored data: 1 problems found/);
      const one = await scrub(["alice", "--json"]);
      assertCode(one, 0, "scrub alice");
      assert.equal(JSON.parse(one.stdout).users, 1);
    });
  });
});

Deno.test("scrub: an index without a pack hash still loads and is reported as not hash-checked", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    await makeTree(`${work}/a`);
    assertCode(await clientOf(server, "alice", "alice-pass")(["push", `${work}/a`]), 0, "push");
    await server.stop();
    const indexes = await filesEnding(`${server.dataDir}/repos/alice/chunks/index`, ".idx");
    await dropPackHash(indexes[0]!);
    const result = await burrow(["scrub", "--data", server.dataDir, "--json"]);
    assertCode(result, 0, "scrub");
    const report = JSON.parse(result.stdout);
    assert.equal(report.packsNotHashChecked, 1);
    assert.equal(report.problems, 0);
    const again = await startServer({ dataDir: server.dataDir });
    try {
      const pull = await clientOf(again, "alice", "alice-pass")(["pull", `${work}/out`]);
      assertCode(pull, 0, "pull");
      await assertSameTree(`${work}/a`, `${work}/out/a`);
    } finally {
      await again.stop();
    }
  });
});
