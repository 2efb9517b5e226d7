/** End to end: push and pull through the real CLI against a real `burrow serve`. */
import assert from "node:assert/strict";
import { addUser, burrow, clientOf, withServer } from "./_harness.ts";
import { assertSameTree, makeTree, treeContains } from "./_tree.ts";

Deno.test("backup: push, list, pull a tree to a folder, a zip and a tar", async (t) => {
  await withServer(async (server, work) => {
    const run = clientOf(server, "alice", "alice-pass");
    await addUser(server, "alice", "alice-pass");
    const source = `${work}/project`;
    const marker = await makeTree(source);

    let first = "";
    await t.step("push backs up the tree and prints a summary", async () => {
      const pushed = await run(["push", source, "--json"]);
      assert.equal(pushed.code, 0, pushed.stderr);
      const summary = JSON.parse(pushed.stdout);
      first = summary.snapshot;
      assert.match(first, /^[0-9a-f]{16}$/);
      assert.equal(summary.set, "project");
      assert.equal(summary.filesNew, 5, "5 regular files (the symlink is not a file)");
      assert.ok(summary.bytesStored > 0 && summary.bytesSent >= summary.bytesStored);
    });

    await t.step("snapshots lists it with set, host, files and size", async () => {
      const listed = await run(["snapshots", "--json"]);
      assert.equal(listed.code, 0, listed.stderr);
      const [snapshot] = JSON.parse(listed.stdout);
      assert.equal(snapshot.id, first);
      assert.equal(snapshot.set, "project");
      assert.equal(snapshot.files, 5);
      const table = await run(["snapshots"]);
      assert.match(table.stdout, new RegExp(`${first}\\s+project`));
    });

    await t.step(
      "the server holds no plaintext: the marker is nowhere under its data folder",
      async () => {
        assert.equal(await treeContains(source, marker), true, "the marker is in the source");
        assert.equal(await treeContains(server.dataDir, marker), false);
        assert.equal(await treeContains(server.dataDir, "naïve café"), false, "nor file names");
      },
    );

    await t.step("pull restores contents, modes, mtimes, symlinks and empty folders", async () => {
      const dest = `${work}/restored`;
      const pulled = await run(["pull", dest]);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.match(pulled.stdout, /restored to .*\/restored\/project/);
      await assertSameTree(source, `${dest}/project`);
    });

    await t.step("pull to .zip and .tar writes archives with every entry", async () => {
      for (const name of ["out.zip", "out.tar"]) {
        const pulled = await run([
          "pull",
          `${work}/${name}`,
          "--name",
          "project",
          "--snapshot",
          first,
        ]);
        assert.equal(pulled.code, 0, pulled.stderr);
      }
      const tar = new Deno.Command("tar", { args: ["-tf", `${work}/out.tar`], stdout: "piped" });
      const listing = new TextDecoder().decode((await tar.output()).stdout);
      assert.match(listing, /^project\/docs\/deep\/er\/naïve café\.txt$/m);
      assert.match(listing, /^project\/empty folder\/?$/m);
      const zip = await Deno.readFile(`${work}/out.zip`);
      assert.equal(zip[0], 0x50);
      assert.equal(zip[1], 0x4b);
    });

    await t.step("an unchanged tree pushes again without reading a file", async () => {
      const again = await run(["push", source, "--json"]);
      assert.equal(again.code, 0, again.stderr);
      const summary = JSON.parse(again.stdout);
      assert.equal(summary.filesUnchanged, 5);
      assert.equal(summary.bytesRead, 0);
      assert.equal(summary.filesNew + summary.filesChanged, 0);
    });

    await t.step("a changed file uploads only its changed chunks", async () => {
      await Deno.writeTextFile(`${source}/docs/deep/er/naïve café.txt`, "changed\n");
      await Deno.remove(`${source}/empty.bin`);
      const changed = await run(["push", source, "--json"]);
      assert.equal(changed.code, 0, changed.stderr);
      const summary = JSON.parse(changed.stdout);
      assert.equal(summary.filesChanged, 1);
      assert.equal(summary.filesRemoved, 1);
      assert.ok(summary.bytesStored < 64 * 1024, `stored ${summary.bytesStored}`);
    });

    await t.step("identical data in another set is stored once", async () => {
      const copy = `${work}/copy`;
      await Deno.mkdir(copy);
      await Deno.copyFile(`${source}/docs/random.bin`, `${copy}/same.bin`);
      const pushed = await run(["push", copy, "--name", "copies", "--json"]);
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.ok(JSON.parse(pushed.stdout).bytesStored < 8192);
    });

    await t.step("pull without --name is refused when there are several sets", async () => {
      const pulled = await run(["pull", `${work}/x`]);
      assert.equal(pulled.code, 2);
      assert.match(pulled.stderr, /use --name SET/);
    });

    await t.step("passwd keeps old backups readable", async () => {
      const changed = await burrow(["passwd", ...server.clientArgs("alice"), "--password-stdin"], {
        stdin: "alice-pass\nalice-new\n",
      });
      assert.equal(changed.code, 0, changed.stderr);
      const pulled = await clientOf(server, "alice", "alice-new")([
        "pull",
        `${work}/after-passwd`,
        "--name",
        "project",
        "--snapshot",
        first,
      ]);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.ok((await Deno.stat(`${work}/after-passwd/project/docs/random.bin`)).size > 3_000_000);
    });
  });
});

Deno.test("backup: pushing a path that does not exist exits 1 and commits nothing", async () => {
  await withServer(async (server) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const result = await run(["push", "/nonexistent/burrow/path"]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split("\n").length, 1);
    assert.match(result.stderr, /no such file or folder/);
    assert.deepEqual(JSON.parse((await run(["snapshots", "--json"])).stdout), []);
  });
});

Deno.test("backup: a single file pushes and pulls back as DEST/NAME", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    await Deno.writeTextFile(`${work}/report.txt`, "quarterly numbers\n".repeat(100));
    await Deno.chmod(`${work}/report.txt`, 0o600);
    const pushed = await run(["push", `${work}/report.txt`, "--json"]);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.equal(JSON.parse(pushed.stdout).set, "report.txt");
    const pulled = await run(["pull", `${work}/out`, "--json"]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(JSON.parse(pulled.stdout).path, `${work}/out/report.txt`);
    assert.equal(
      await Deno.readTextFile(`${work}/out/report.txt`),
      "quarterly numbers\n".repeat(100),
    );
    assert.equal((await Deno.stat(`${work}/out/report.txt`)).mode! & 0o777, 0o600);
  });
});
