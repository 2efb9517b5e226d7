/**
 * End to end: looking into snapshots without restoring them. `ls`, `find`, `diff` and `cat`
 * through the real command line against a real server, snapshots named by id, prefix or latest.
 */
import assert from "node:assert/strict";
import { addUser, burrowBytes, clientOf, type RunResult, withServer } from "./_harness.ts";
import { makeTree } from "./_tree.ts";
import { filesEnding } from "../_testing.ts";

function assertOk(result: RunResult, what: string): void {
  assert.equal(result.code, 0, `${what}: ${result.stderr}`);
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

Deno.test("browse: ls, find, diff and cat read snapshots through the command line", async (t) => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const tree = `${work}/tree`;
    await makeTree(tree);
    assertOk(await run(["push", tree]), "first push");
    await Deno.writeTextFile(`${tree}/docs/added.txt`, "new file\n");
    await Deno.remove(`${tree}/empty.bin`);
    await Deno.writeTextFile(`${tree}/docs/note.txt`, "changed\n");
    await Deno.chmod(`${tree}/script.sh`, 0o700);
    await Deno.remove(`${tree}/link to note`);
    await Deno.symlink("script.sh", `${tree}/link to note`);
    await Deno.remove(`${tree}/empty folder`);
    await Deno.writeTextFile(`${tree}/empty folder`, "now a file\n");
    assertOk(await run(["push", tree]), "second push");
    const listed = JSON.parse((await run(["snapshots", "--json"])).stdout);
    const [first, second] = listed.map((s: { id: string }) => s.id as string);
    assert.ok(first !== undefined && second !== undefined);

    await t.step("ls lists a folder's entries, --recursive all below it", async () => {
      const root = await run(["ls"]);
      assertOk(root, "ls");
      assert.deepEqual(lines(root.stdout), [
        "docs",
        "empty folder",
        "link to note",
        "script.sh",
      ]);
      const docs = await run(["ls", first.slice(0, 6), "docs"]);
      assertOk(docs, "ls by prefix");
      assert.deepEqual(lines(docs.stdout).sort(), [
        "docs/deep",
        "docs/note.txt",
        "docs/random.bin",
      ]);
      const all = await run(["ls", "latest", "/docs/", "--recursive", "--name", "tree"]);
      assertOk(all, "ls --recursive");
      assert.deepEqual(lines(all.stdout).sort(), [
        "docs/added.txt",
        "docs/deep",
        "docs/deep/er",
        "docs/deep/er/naïve café.txt",
        "docs/note.txt",
        "docs/random.bin",
      ]);
      const one = await run(["ls", first, "docs/note.txt"]);
      assert.deepEqual(lines(one.stdout), ["docs/note.txt"]);
    });

    await t.step(
      "ls --long shows mode, size, mtime and symlink target; --json all fields",
      async () => {
        const long = await run(["ls", first, "--long"]);
        assertOk(long, "ls --long");
        assert.match(
          long.stdout,
          /^-rwxr-x---\s+\S+\s+18\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}script\.sh$/m,
        );
        assert.match(
          long.stdout,
          /^lrwxrwxrwx\s+\S+\s+\S+ \S+ {2}link to note -> docs\/note\.txt$/m,
        );
        assert.match(long.stdout, /^drwx\S+\s+\S+\s+\S+ \S+ {2}docs$/m);
        const json = await run(["ls", first, "docs", "--json"]);
        const parsed = JSON.parse(json.stdout);
        assert.equal(parsed.snapshot, first);
        assert.equal(parsed.path, "docs");
        const note = parsed.entries.find((e: { path: string }) => e.path === "docs/note.txt");
        assert.deepEqual(note, {
          path: "docs/note.txt",
          type: "file",
          mode: 0o640,
          size: (await run(["cat", first, "docs/note.txt"])).stdout.length,
          mtime: "2020-09-13T12:26:40.000Z",
          owner: note.owner,
        });
        const { uid, gid } = await Deno.lstat(`${tree}/docs/note.txt`);
        assert.deepEqual([note.owner.uid, note.owner.gid], [uid, gid]);
      },
    );

    await t.step("ls refuses a path the snapshot does not hold and a malformed id", async () => {
      const missing = await run(["ls", first, "docs/nope"]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Cannot find "docs\/nope" in the snapshot/);
      const bad = await run(["ls", "docs"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /Invalid snapshot "docs"/);
      const none = await run(["ls", "ffffffff"]);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /Cannot find snapshot "ffffffff"/);
    });

    await t.step("find matches base names, or whole paths, newest snapshot first", async () => {
      const found = await run(["find", "*.txt", "--json"]);
      assertOk(found, "find");
      const hits = JSON.parse(found.stdout).map((h: { snapshot: string; path: string }) =>
        `${h.snapshot === first ? "first" : "second"} ${h.path}`
      );
      const order = hits.map((hit: string) => hit.split(" ")[0]);
      assert.deepEqual(order, ["second", "second", "second", "first", "first"], "newest first");
      assert.deepEqual([...hits].sort(), [
        "first docs/deep/er/naïve café.txt",
        "first docs/note.txt",
        "second docs/added.txt",
        "second docs/deep/er/naïve café.txt",
        "second docs/note.txt",
      ]);
      const anchored = await run(["find", "docs/*.txt", "--snapshot", first]);
      assertOk(anchored, "find docs/*.txt");
      assert.match(anchored.stdout, /SNAPSHOT\s+SET\s+TIME\s+MODE\s+SIZE\s+MTIME\s+PATH/);
      assert.deepEqual(
        lines(anchored.stdout).slice(2).map((line) => line.split(/\s+/).at(-1)),
        ["docs/note.txt"],
      );
      const deep = await run(["find", "docs/**/*é.txt", "empty.bin", "--json"]);
      assert.deepEqual(
        JSON.parse(deep.stdout).map((h: { path: string }) => h.path),
        ["docs/deep/er/naïve café.txt", "docs/deep/er/naïve café.txt", "empty.bin"],
      );
      const nothing = await run(["find", "*.nope"]);
      assertOk(nothing, "find with no match");
      assert.equal(nothing.stdout.trim(), "no matches");
      const broken = await run(["find", "a[b"]);
      assert.equal(broken.code, 2);
      assert.match(broken.stderr, /Invalid pattern "a\[b": a \[ has no \]/);
    });

    await t.step("diff shows added, removed, modified and retyped paths with totals", async () => {
      const diff = await run(["diff", first.slice(0, 8), "latest"]);
      assertOk(diff, "diff");
      const changes = lines(diff.stdout).filter((line) => /^[-+MT] /.test(line));
      assert.deepEqual(changes, [
        "+    docs/added.txt",
        "M    docs/note.txt  (content)",
        "T    empty folder",
        "-    empty.bin",
        "M    link to note  (target)",
        "M    script.sh  (mode)",
      ]);
      assert.match(diff.stdout, /^Added: {4}1 files, 0 folders, 0 symlinks$/m);
      assert.match(diff.stdout, /^Removed: {2}1 files, 0 folders, 0 symlinks$/m);
      const json = JSON.parse((await run(["diff", first, second, "--json"])).stdout);
      assert.equal(json.before, first);
      assert.equal(json.totals.modified, 3);
      assert.equal(json.totals.typeChanged, 1);
      assert.equal(json.totals.bytesAdded, "new file\n".length + "changed\n".length + 11);
      const same = JSON.parse((await run(["diff", second, second, "--json"])).stdout);
      assert.deepEqual(same.changes, []);
    });

    await t.step("cat writes one file byte for byte, refuses folders and symlinks", async () => {
      const random = await Deno.readFile(`${tree}/docs/random.bin`);
      const out = await burrowBytes(
        ["cat", "latest", "docs/random.bin", ...server.clientArgs("alice")],
        { env: { BURROW_PASSWORD: "alice-pass" } },
      );
      assert.equal(out.code, 0, out.stderr);
      assert.deepEqual(out.stdout, random);
      const folder = await run(["cat", first, "docs"]);
      assert.equal(folder.code, 2);
      assert.match(folder.stderr, /Cannot cat "docs": it is a folder, not a file/);
      const link = await run(["cat", first, "link to note"]);
      assert.equal(link.code, 2);
      assert.match(link.stderr, /it is a symlink to "docs\/note.txt", not a file/);
      const missing = await run(["cat", first, "nope.txt"]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Cannot find "nope.txt" in snapshot/);
    });

    await t.step("cat of a file whose chunk does not verify stops and exits 4", async () => {
      const packs = `${server.dataDir}/repos/alice/chunks/packs`;
      const before = await filesEnding(packs, ".pack");
      const big = `${work}/big`;
      await Deno.mkdir(big);
      const data = crypto.getRandomValues(new Uint8Array(60_000));
      const bytes = new Uint8Array(4 * 1024 * 1024).map((_, i) => data[i % 60_000]! ^ (i >> 16));
      await Deno.writeFile(`${big}/data.bin`, bytes);
      assertOk(await run(["push", big]), "push big");
      const [pack] = (await filesEnding(packs, ".pack")).filter((p) => !before.includes(p));
      const stored = await Deno.readFile(pack!);
      stored[Math.floor(stored.length / 3)]! ^= 0x55;
      await Deno.writeFile(pack!, stored);
      const out = await burrowBytes(
        ["cat", "latest", "data.bin", "--name", "big", ...server.clientArgs("alice")],
        { env: { BURROW_PASSWORD: "alice-pass" } },
      );
      assert.equal(out.code, 4, out.stderr);
      assert.ok(out.stdout.length < bytes.length, "the output stops at the damaged chunk");
      assert.match(out.stderr, /Cannot restore "data.bin": chunk \d+/);
    });
  });
});
