/**
 * End to end: `pull --path` restores only the chosen files and folders (into a folder, a zip or
 * a tar) with the same modes and mtimes as a whole pull, fetching only their chunks, as the
 * server's count of bytes sent per connection shows; and pull's progress line on a terminal.
 */
import assert from "node:assert/strict";
import { addUser, clientOf, type RunResult, type TestServer, withServer } from "./_harness.ts";
import { makeTree } from "./_tree.ts";
import { makeBigTree, MiB, waitFor } from "./_big_tree.ts";
import { burrowOnTerminal } from "./_terminal.ts";
import { runCommand } from "../_testing.ts";

function assertOk(result: RunResult, what: string): void {
  assert.equal(result.code, 0, `${what}: ${result.stderr}`);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/** Every path under `root`, relative, sorted. */
async function listTree(root: string, rel = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(rel === "" ? root : `${root}/${rel}`)) {
    const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
    found.push(path);
    if (entry.isDirectory) found.push(...await listTree(root, path));
  }
  return found.sort();
}

/** The `sent=` of each "connection closed" line the server logged for `user`. */
function bytesSent(server: TestServer, user: string): number[] {
  const pattern = new RegExp(`connection closed .*user=${user} sent=(\\d+)`, "g");
  return [...server.stderrText().matchAll(pattern)].map((match) => Number(match[1]));
}

/** Runs `command` and returns what the server sent `user` over the connections it opened. */
async function sentDuring(
  server: TestServer,
  user: string,
  command: () => Promise<RunResult>,
): Promise<number> {
  const before = bytesSent(server, user).length;
  assertOk(await command(), "command");
  await waitFor(() => Promise.resolve(bytesSent(server, user).length > before), 10_000);
  return bytesSent(server, user).slice(before).reduce((a, b) => a + b, 0);
}

Deno.test("pull --path restores only the chosen paths, with modes and mtimes, also as zip and tar", async (t) => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const tree = `${work}/tree`;
    await makeTree(tree);
    assertOk(await run(["push", tree]), "push");

    await t.step(
      "into a folder: a file, a folder's subtree and the folders leading to them",
      async () => {
        const dest = `${work}/out`;
        const pulled = await run([
          "pull",
          dest,
          "--path",
          "docs/note.txt",
          "--path",
          "/docs/deep/",
        ]);
        assertOk(pulled, "pull --path");
        assert.deepEqual(await listTree(dest), [
          "tree",
          "tree/docs",
          "tree/docs/deep",
          "tree/docs/deep/er",
          "tree/docs/deep/er/naïve café.txt",
          "tree/docs/note.txt",
        ]);
        for (const path of ["docs/note.txt", "docs/deep/er/naïve café.txt"]) {
          assert.deepEqual(
            await Deno.readFile(`${dest}/tree/${path}`),
            await Deno.readFile(`${tree}/${path}`),
          );
        }
        const note = await Deno.stat(`${dest}/tree/docs/note.txt`);
        assert.equal((note.mode ?? 0) & 0o7777, 0o640);
        assert.equal(note.mtime?.getTime(), 1_600_000_000_000);
        assert.equal(
          (await Deno.stat(`${dest}/tree/docs/deep`)).mtime?.getTime(),
          1_500_000_000_000,
        );
      },
    );

    await t.step("as a zip and a tar holding only the chosen paths", async () => {
      assertOk(await run(["pull", `${work}/part.zip`, "--path", "docs/note.txt"]), "zip");
      const zipped = await runCommand("zipinfo", ["-1", `${work}/part.zip`]);
      assert.deepEqual(zipped.trim().split("\n").sort(), [
        "tree/",
        "tree/docs/",
        "tree/docs/note.txt",
      ]);
      assertOk(await run(["pull", `${work}/part.tar`, "--path", "script.sh"]), "tar");
      const tarred = await runCommand("tar", ["-tvf", `${work}/part.tar`]);
      const lines = tarred.trim().split("\n");
      assert.deepEqual(lines.map((line) => line.split(/\s+/).at(-1)), ["tree/", "tree/script.sh"]);
      assert.match(lines[1]!, /^-rwxr-x---/);
    });

    await t.step("a path the snapshot does not hold: exit 1, nothing written", async () => {
      const dest = `${work}/none`;
      const refused = await run(["pull", dest, "--path", "docs/note.txt", "--path", "docs/nope"]);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /Cannot find "docs\/nope" in the snapshot/);
      assert.ok(!(await exists(dest)), "no folder made");
      const zip = await run(["pull", `${work}/none.zip`, "--path", "nope"]);
      assert.equal(zip.code, 1);
      assert.ok(!(await exists(`${work}/none.zip`)), "no archive made");
      const climbs = await run(["pull", dest, "--path", "../etc"]);
      assert.equal(climbs.code, 2);
      const deletes = await run(["pull", dest, "--path", "docs", "--delete"]);
      assert.equal(deletes.code, 2);
      assert.match(deletes.stderr, /Cannot use --delete with --path/);
    });

    await t.step("a file snapshot's one path is its name", async () => {
      assertOk(await run(["push", `${tree}/script.sh`, "--name", "one"]), "push a file");
      const dest = `${work}/one`;
      assertOk(await run(["pull", dest, "--name", "one", "--path", "script.sh"]), "pull");
      assert.deepEqual(await listTree(dest), ["script.sh"]);
    });
  });
});

Deno.test("pull --path fetches only the chosen file's chunks (the server's count of bytes sent)", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const tree = `${work}/mixed`;
    const treeBytes = await makeBigTree(tree, 3, 8);
    const one = crypto.getRandomValues(new Uint8Array(65536));
    const file = new Uint8Array(MiB).map((_, i) => one[i % 65536]! ^ (i >> 16));
    await Deno.writeFile(`${tree}/one.bin`, file);
    assertOk(await run(["push", tree]), "push");

    const whole = await sentDuring(server, "alice", () => run(["pull", `${work}/all`]));
    assert.ok(whole > treeBytes, `a whole pull is sent the tree (${whole} bytes)`);
    const part = await sentDuring(
      server,
      "alice",
      () => run(["pull", `${work}/part`, "--path", "one.bin"]),
    );
    assert.deepEqual(await Deno.readFile(`${work}/part/mixed/one.bin`), file);
    assert.ok(part > MiB, `the file's chunks are sent (${part} bytes)`);
    assert.ok(part < MiB + 256 * 1024, `only the file's chunks are sent (${part} bytes)`);
  });
});

Deno.test("pull shows progress on a terminal, of the chosen paths; none with --json or off one", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const tree = `${work}/big`;
    await makeBigTree(tree, 2, 16);
    assertOk(await run(["push", tree]), "push");
    const env = { BURROW_PASSWORD: "alice-pass" };
    const args = server.clientArgs("alice");
    const shown = await burrowOnTerminal(["pull", `${work}/a`, ...args], [], env, 150);
    assert.equal(shown.code, 0, shown.stdout);
    assert.match(shown.stdout, /\r\s*\d+% [\d.]+\/32\.0 MiB {2}\d\/2 files {2}[\d.]+ s elapsed/);
    const part = await burrowOnTerminal(
      ["pull", `${work}/b`, "--path", "big-1.bin", ...args],
      [],
      env,
      150,
    );
    assert.equal(part.code, 0, part.stdout);
    assert.match(part.stdout, /\r\s*\d+% [\d.]+\/16\.0 MiB {2}\d\/1 files/, "totals of the paths");
    const json = await burrowOnTerminal(["pull", `${work}/c`, "--json", ...args], [], env, 150);
    assert.equal(json.code, 0, json.stdout);
    assert.doesNotMatch(json.stdout, /elapsed/);
    assert.equal(JSON.parse(json.stdout.slice(json.stdout.indexOf("{"))).files, 2);
    const piped = await run(["pull", `${work}/d`]);
    assertOk(piped, "pull to a pipe");
    assert.doesNotMatch(piped.stderr + piped.stdout, /elapsed|\r/);
  });
});
