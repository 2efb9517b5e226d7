/**
 * End to end: what the server sees of a known file. Blob lengths are all it gets, so with one
 * public gear table the sequence of chunk sizes would tell it which users store a file it knows.
 */
import assert from "node:assert/strict";
import { decodeIndex } from "../../src/store/_pack_format.ts";
import { addUser, burrow, clientOf, type TestServer, withServer } from "./_harness.ts";

const MiB = 1024 * 1024;

/** Every blob length the server holds for `user`, sorted: what the operator can read off disk. */
async function blobLengths(server: TestServer, user: string): Promise<number[]> {
  const folder = `${server.dataDir}/repos/${user}/chunks/index`;
  const lengths: number[] = [];
  for await (const entry of Deno.readDir(folder)) {
    if (!entry.name.endsWith(".idx")) continue;
    const index = decodeIndex(await Deno.readFile(`${folder}/${entry.name}`), entry.name);
    index.forEach((_bytes, _at, _offset, length) => lengths.push(length));
  }
  return lengths.sort((a, b) => a - b);
}

/** The version byte of each of `user`'s key files. */
async function keyFileVersions(server: TestServer, user: string): Promise<number[]> {
  const folder = `${server.dataDir}/repos/${user}/keys`;
  const versions: number[] = [];
  for await (const entry of Deno.readDir(folder)) {
    versions.push((await Deno.readFile(`${folder}/${entry.name}`))[4]!);
  }
  return versions;
}

Deno.test("chunk sizes: two users storing the same file leave blobs of different sizes", async () => {
  await withServer(async (server, work) => {
    const known = new Uint8Array(16 * MiB);
    for (let at = 0; at < known.length; at += 65536) {
      crypto.getRandomValues(known.subarray(at, at + 65536));
    }
    await Deno.mkdir(`${work}/shared`);
    await Deno.writeFile(`${work}/shared/known.bin`, known);
    const sizes: number[][] = [];
    for (const user of ["alice", "bob"]) {
      await addUser(server, user, `${user}-pass`);
      const pushed = await clientOf(server, user, `${user}-pass`)(["push", `${work}/shared`]);
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.deepEqual(await keyFileVersions(server, user), [2], "a new repository is version 2");
      sizes.push(await blobLengths(server, user));
    }
    const [alice, bob] = sizes as [number[], number[]];
    assert.ok(alice.length >= 8 && bob.length >= 8, `${alice.length} and ${bob.length} blobs`);
    assert.notDeepEqual(alice, bob, "the same file, cut the same way in both repositories");

    // A new password re-wraps the key in a file of the same version: the repository keeps its
    // gear table, so the same file pushed again stores nothing new.
    const changed = await burrow(["passwd", ...server.clientArgs("alice"), "--password-stdin"], {
      stdin: "alice-pass\nalice-new\n",
    });
    assert.equal(changed.code, 0, changed.stderr);
    assert.deepEqual(await keyFileVersions(server, "alice"), [2]);
    await Deno.writeFile(`${work}/shared/copy.bin`, known);
    const again = await clientOf(server, "alice", "alice-new")([
      "push",
      `${work}/shared`,
      "--json",
    ]);
    assert.equal(again.code, 0, again.stderr);
    const summary = JSON.parse(again.stdout);
    assert.equal(summary.filesNew, 1);
    assert.ok(summary.bytesStored < 64 * 1024, `stored ${summary.bytesStored} bytes`);
  });
});
