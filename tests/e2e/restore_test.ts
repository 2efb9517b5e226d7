/**
 * End to end: what a pull leaves in DEST. A pull killed mid-way leaves partial files that the next
 * pull into the same folder (with --overwrite, since the folder is not empty) removes. Setuid and setgid bits are restored only when asked for.
 */
import assert from "node:assert/strict";
import { addUser, clientOf, spawnBurrow, withServer } from "./_harness.ts";
import { assertSameTree } from "./_tree.ts";
import { makeBigTree, MiB, waitFor } from "./_big_tree.ts";
import { runCommand } from "../_testing.ts";

/** Paths under `root` (relative) whose names hold `.burrow-partial-`, with their sizes. */
async function partialFiles(root: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const walk = async (dir: string, rel: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory) await walk(`${dir}/${entry.name}`, path);
      else if (entry.name.includes(".burrow-partial-")) {
        found.set(path, (await Deno.lstat(`${dir}/${entry.name}`).catch(() => null))?.size ?? 0);
      }
    }
  };
  await walk(root, "").catch(() => {});
  return found;
}

Deno.test("restore: the next pull into the same folder removes the partial files of a killed pull", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    await makeBigTree(`${work}/big`, 2, 48);
    const pushed = await run(["push", `${work}/big`]);
    assert.equal(pushed.code, 0, pushed.stderr);

    const dest = `${work}/restored`;
    const pull = spawnBurrow(["pull", dest, ...server.clientArgs("alice")], {
      BURROW_PASSWORD: "alice-pass",
    });
    const partialOver = async (bytes: number) =>
      [...(await partialFiles(dest)).values()].some((size) => size > bytes);
    await waitFor(() => partialOver(4 * MiB), 60_000);
    pull.kill("SIGKILL");
    await pull.status;
    assert.ok((await partialFiles(dest)).size > 0, "the killed pull left a partial file");

    const refused = await run(["pull", dest]);
    assert.equal(refused.code, 1, "DEST/NAME is not empty");
    const again = await run(["pull", dest, "--overwrite", "if-changed"]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual([...(await partialFiles(dest)).keys()], []);
    await assertSameTree(`${work}/big`, `${dest}/big`);
  });
});

Deno.test("restore: setuid and setgid bits come back only with --preserve-special-bits", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const tree = `${work}/tree`;
    await Deno.mkdir(`${tree}/shared`, { recursive: true });
    await Deno.writeTextFile(`${tree}/tool`, "#!/bin/sh\necho hi\n");
    await Deno.chmod(`${tree}/tool`, 0o4755);
    await Deno.chmod(`${tree}/shared`, 0o2775);
    const modeOf = async (path: string) => ((await Deno.lstat(path)).mode! & 0o7777).toString(8);
    assert.deepEqual([await modeOf(`${tree}/tool`), await modeOf(`${tree}/shared`)], [
      "4755",
      "2775",
    ]);
    const pushed = await run(["push", tree]);
    assert.equal(pushed.code, 0, pushed.stderr);

    const plain = await run(["pull", `${work}/plain`]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(
      [await modeOf(`${work}/plain/tree/tool`), await modeOf(`${work}/plain/tree/shared`)],
      ["755", "775"],
    );
    const kept = await run(["pull", `${work}/kept`, "--preserve-special-bits"]);
    assert.equal(kept.code, 0, kept.stderr);
    assert.deepEqual(
      [await modeOf(`${work}/kept/tree/tool`), await modeOf(`${work}/kept/tree/shared`)],
      ["4755", "2775"],
    );
    // An archive records the modes as they are; its extractor decides (tar drops them without -p).
    const tar = await run(["pull", `${work}/tree.tar`]);
    assert.equal(tar.code, 0, tar.stderr);
    const listing = await runCommand("tar", ["-tvf", `${work}/tree.tar`]);
    assert.match(listing, /^-rwsr-xr-x .* tree\/tool$/m);
    assert.match(listing, /^drwxrwsr-x .* tree\/shared\/$/m);
  });
});
