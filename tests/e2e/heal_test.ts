/**
 * End to end: a repository heals from a damaged chunk. The server's own checksum catches a
 * flipped byte (or the client's key does, where the checksum still matches), the chunk is set
 * aside, the pull restores every other file and exits 4, and the next push of the same tree
 * stores the chunk again, after which everything restores.
 */
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { addUser, clientOf, type RunResult, withServer } from "./_harness.ts";
import { assertSameTree, makeTree } from "./_tree.ts";
import { filesEnding } from "../_testing.ts";

/** The largest record of a version 2 pack: where it starts and its blob's length. */
function largestRecord(pack: Uint8Array): { at: number; length: number } {
  const view = new DataView(pack.buffer, pack.byteOffset);
  let best = { at: 0, length: -1 };
  for (let at = 8; at < pack.length;) {
    const length = view.getUint32(at + 32);
    if (length > best.length) best = { at, length };
    at += 40 + length;
  }
  return best;
}

/** Flips one byte in the middle of the largest blob of `path`; `fixChecksum` keeps its CRC right. */
async function damage(path: string, fixChecksum: boolean): Promise<void> {
  const pack = await Deno.readFile(path);
  const { at, length } = largestRecord(pack);
  pack[at + 40 + (length >> 1)]! ^= 0x20;
  if (fixChecksum) {
    new DataView(pack.buffer).setUint32(at + 36, crc32(pack.subarray(at + 40, at + 40 + length)));
  }
  await Deno.writeFile(path, pack);
}

function assertCode(result: RunResult, code: number, what: string): void {
  assert.equal(result.code, code, `${what}: ${result.stdout}\n${result.stderr}`);
}

for (const fixChecksum of [false, true]) {
  const caughtBy = fixChecksum ? "the client's key" : "the server's checksum";
  Deno.test(`heal: a chunk damaged on disk (caught by ${caughtBy}) is stored again by the next push`, async () => {
    await withServer(async (server, work) => {
      await addUser(server, "alice", "alice-pass");
      const run = clientOf(server, "alice", "alice-pass");
      const source = `${work}/project`;
      await makeTree(source);
      assertCode(await run(["push", source]), 0, "push");
      const [pack] = await filesEnding(`${server.dataDir}/repos/alice/chunks/packs`, ".pack");
      await damage(pack!, fixChecksum);

      const broken = await run(["pull", `${work}/out1`]);
      assertCode(broken, 4, "pull of the damaged snapshot");
      assert.match(broken.stderr, /Cannot restore "project\/docs\/random\.bin": chunk \d+/);
      assert.match(broken.stderr, /1 file could not be restored/);
      assert.ok(
        (await Deno.stat(`${work}/out1/project/docs/note.txt`)).isFile,
        "the rest is there",
      );
      if (fixChecksum) assert.match(broken.stdout, /the server set aside 1 damaged chunk/);
      const listed = await run(["snapshots"]);
      assert.match(listed.stderr, /1 chunk of your repository is missing or damaged/);

      const again = await run(["push", source, "--json"]);
      assertCode(again, 0, "push again");
      assert.ok(JSON.parse(again.stdout).bytesRead > 3_000_000, "random.bin is read again");
      const healed = await run(["pull", `${work}/out2`]);
      assertCode(healed, 0, "pull after the push");
      await assertSameTree(source, `${work}/out2/project`);
      assert.equal((await run(["snapshots"])).stderr, "", "no damage left");
    });
  });
}
