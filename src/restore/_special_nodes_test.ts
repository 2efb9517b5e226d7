import assert from "node:assert/strict";
import { lstatEntry } from "../fs_times.ts";
import { makeNode } from "./_special_nodes.ts";
import { inTempDir } from "../../tests/_testing.ts";

Deno.test("makeNode() makes a fifo, and refuses a path that is taken", () =>
  inTempDir((dir) => {
    makeNode(`${dir}/pipe`, "fifo");
    const made = lstatEntry(`${dir}/pipe`);
    assert.deepEqual([made.special, made.mode], ["fifo", 0o600]);
    assert.throws(() => makeNode(`${dir}/pipe`, "fifo"), Deno.errors.AlreadyExists);
    return Promise.resolve();
  }));

Deno.test({
  name: "makeNode() makes a character device with its numbers (as root)",
  ignore: Deno.uid() !== 0,
  fn: () =>
    inTempDir((dir) => {
      makeNode(`${dir}/null`, "chardev", { major: 1, minor: 3 });
      makeNode(`${dir}/big`, "blockdev", { major: 259, minor: 70000 });
      assert.equal(lstatEntry(`${dir}/null`).special, "character device");
      assert.deepEqual(lstatEntry(`${dir}/null`).rdev, { major: 1, minor: 3 });
      assert.deepEqual(lstatEntry(`${dir}/big`).rdev, { major: 259, minor: 70000 });
      return Promise.resolve();
    }),
});
