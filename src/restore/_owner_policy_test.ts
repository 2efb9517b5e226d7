import assert from "node:assert/strict";
import { OwnerNames } from "../owner_names.ts";
import { OwnerPolicy } from "./_owner_policy.ts";
import { inTempDir } from "../../tests/_testing.ts";

/** Names where "alice" is uid 2000 and "staff" gid 50 (on the pushing machine: 1000 and 100). */
async function names(dir: string): Promise<OwnerNames> {
  await Deno.writeTextFile(`${dir}/passwd`, "root:x:0:0::/:/bin/sh\nalice:x:2000:50::/:/bin/sh\n");
  await Deno.writeTextFile(`${dir}/group`, "root:x:0:\nstaff:x:50:\n");
  return new OwnerNames({ passwd: `${dir}/passwd`, group: `${dir}/group` });
}

const ALICE = { uid: 1000, gid: 100, user: "alice", group: "staff" };
const STRANGER = { uid: 12345, gid: 12345, user: "nobody-here", group: "" };

Deno.test("OwnerPolicy as root gives owners by name where known, else by number", () =>
  inTempDir(async (dir) => {
    const policy = new OwnerPolicy({
      numericIds: false,
      self: { uid: 0, gid: 0 },
      names: await names(dir),
    });
    assert.deepEqual(policy.idsFor(ALICE), { uid: 2000, gid: 50 });
    assert.deepEqual(policy.idsFor(STRANGER), { uid: 12345, gid: 12345 });
    assert.equal(policy.idsFor(undefined), undefined, "nothing recorded: left as created");
    assert.equal(policy.kept, false);
  }));

Deno.test("OwnerPolicy with numericIds gives the recorded numbers", () =>
  inTempDir(async (dir) => {
    const policy = new OwnerPolicy({
      numericIds: true,
      self: { uid: 0, gid: 0 },
      names: await names(dir),
    });
    assert.deepEqual(policy.idsFor(ALICE), { uid: 1000, gid: 100 });
  }));

Deno.test("OwnerPolicy as another user gives nothing away, and notes a different owner", () =>
  inTempDir(async (dir) => {
    const policy = new OwnerPolicy({
      numericIds: false,
      self: { uid: 1000, gid: 100 },
      names: await names(dir),
    });
    assert.equal(policy.idsFor(ALICE), undefined);
    assert.equal(policy.kept, false, "alice's own files are hers anyway");
    assert.equal(policy.idsFor(STRANGER), undefined);
    assert.equal(policy.kept, true);
    assert.equal(policy.restores, false);
  }));
