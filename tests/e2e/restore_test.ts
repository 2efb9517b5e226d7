/**
 * End to end: what a pull leaves in DEST. A pull killed mid-way leaves partial files that the next
 * pull into the same folder removes.
 */
import assert from "node:assert/strict";
import { addUser, clientOf, spawnBurrow, withServer } from "./_harness.ts";
import { assertSameTree } from "./_tree.ts";
import { makeBigTree, MiB, waitFor } from "./_big_tree.ts";

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

    const again = await run(["pull", dest]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual([...(await partialFiles(dest)).keys()], []);
    await assertSameTree(`${work}/big`, `${dest}/big`);
  });
});
