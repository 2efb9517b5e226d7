/**
 * End to end: the server's disk fills up during a push. The push fails with a clear message,
 * nothing half-written is visible, and the next push, once there is room, succeeds. The data
 * folder lives on a small tmpfs; where mounting is not allowed (not root), the test is ignored
 * with the reason printed.
 */
// deno-lint-ignore-file no-console
import assert from "node:assert/strict";
import { addUser, burrow, startServer } from "./_harness.ts";
import { assertSameTree } from "./_tree.ts";

const mountPoint = await Deno.makeTempDir({ prefix: "burrow-e2e-small-disk-" });
const mount = await new Deno.Command("mount", {
  args: ["-t", "tmpfs", "-o", "size=40m", "tmpfs", mountPoint],
  stderr: "piped",
}).output().catch((error) => ({ success: false, stderr: new TextEncoder().encode(String(error)) }));
if (!mount.success) {
  console.log(
    `disk-full test ignored: cannot mount a small tmpfs here (${
      new TextDecoder().decode(mount.stderr).trim()
    })`,
  );
  await Deno.remove(mountPoint);
}

async function leftovers(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await leftovers(path));
    else if (/\.tmp$|partial/.test(entry.name)) found.push(path);
  }
  return found;
}

Deno.test({
  name: "disk full: the push fails clearly, leaves nothing half-written, and the next one succeeds",
  ignore: !mount.success,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "burrow-e2e-work-" });
    const server = await startServer({ dataDir: `${mountPoint}/data` });
    const env = { BURROW_PASSWORD: "alice-pass" };
    try {
      await addUser(server, "alice", "alice-pass");
      await Deno.mkdir(`${work}/big`);
      const block = new Uint8Array(16 * 1024 * 1024);
      for (let f = 0; f < 4; f++) {
        for (let i = 0; i < block.length; i += 65536) {
          crypto.getRandomValues(block.subarray(i, i + 65536));
        }
        await Deno.writeFile(`${work}/big/${f}.bin`, block);
      }
      const full = await burrow(["push", `${work}/big`, ...server.clientArgs("alice")], { env });
      assert.equal(full.code, 1, full.stderr);
      assert.match(full.stderr, /disk full|No space left/);
      assert.equal(full.stderr.trim().split("\n").length, 1, full.stderr);
      assert.deepEqual(await leftovers(`${mountPoint}/data/repos`), []);
      const listed = await burrow(["snapshots", "--json", ...server.clientArgs("alice")], { env });
      assert.deepEqual(JSON.parse(listed.stdout), []);

      await Deno.mkdir(`${work}/small`);
      await Deno.writeTextFile(`${work}/small/notes.txt`, "fits\n".repeat(1000));
      const ok = await burrow(["push", `${work}/small`, ...server.clientArgs("alice")], { env });
      assert.equal(ok.code, 0, ok.stderr);
      const pulled = await burrow(["pull", `${work}/out`, ...server.clientArgs("alice")], { env });
      assert.equal(pulled.code, 0, pulled.stderr);
      await assertSameTree(`${work}/small`, `${work}/out/small`);
    } finally {
      await server.stop();
      await new Deno.Command("umount", { args: [mountPoint] }).output();
      await Deno.remove(mountPoint, { recursive: true });
      await Deno.remove(work, { recursive: true });
    }
  },
});
