import assert from "node:assert/strict";
import { BurrowError } from "../errors.ts";
import { inTempDir, recordingLogger } from "../../tests/_testing.ts";
import { keyFileName } from "./layout.ts";
import { ACCOUNT_FILE, claimRepository, type RepositoryAccount } from "./repository_owner.ts";

const FIRST: RepositoryAccount = { user: "bob", created: "2024-01-02T03:04:05.678Z", kdf: "kdf-1" };
/** A later account of the same name: another creation time and another salt. */
const SECOND: RepositoryAccount = {
  user: "bob",
  created: "2025-06-07T08:09:10.111Z",
  kdf: "kdf-2",
};

/** Whether `claim` is refused as an earlier account's repository, naming no path. */
function isForeign(dir: string): (error: unknown) => boolean {
  return (error) =>
    error instanceof BurrowError && error.code === "CONFLICT" &&
    error.message.includes('the backups kept under the name "bob" belong to an earlier account') &&
    !error.message.includes(dir);
}

Deno.test("claimRepository() makes a new folder with its account file, and opens it again", () =>
  inTempDir(async (dir) => {
    const repo = `${dir}/repos/bob`;
    await claimRepository(repo, FIRST);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${repo}/${ACCOUNT_FILE}`)), {
      version: 1,
      user: "bob",
      created: FIRST.created,
    });
    assert.equal((await Deno.stat(`${repo}/${ACCOUNT_FILE}`)).mode! & 0o777, 0o600);
    await claimRepository(repo, { ...FIRST, kdf: "after a password change" });
  }));

Deno.test("claimRepository() refuses the repository of an earlier account of the same name", () =>
  inTempDir(async (dir) => {
    const repo = `${dir}/bob`;
    await claimRepository(repo, FIRST);
    const before = await Deno.readTextFile(`${repo}/${ACCOUNT_FILE}`);
    const { logger, lines } = recordingLogger();
    await assert.rejects(claimRepository(repo, SECOND, { logger }), isForeign(dir));
    assert.equal(await Deno.readTextFile(`${repo}/${ACCOUNT_FILE}`), before, "nothing changed");
    assert.deepEqual(lines.map((l) => [l.message, l.fields.path]), [
      ["repository belongs to an earlier account", repo],
    ]);
  }));

Deno.test("claimRepository() adopts a folder from before account files only when no other key is in it", () =>
  inTempDir(async (dir) => {
    const empty = `${dir}/empty`;
    await Deno.mkdir(`${empty}/keys`, { recursive: true });
    await claimRepository(empty, FIRST);
    assert.ok(await Deno.stat(`${empty}/${ACCOUNT_FILE}`));

    const own = `${dir}/own`;
    await Deno.mkdir(`${own}/keys`, { recursive: true });
    await Deno.writeTextFile(`${own}/keys/${keyFileName("old")}`, "k");
    await Deno.writeTextFile(`${own}/keys/${keyFileName(FIRST.kdf)}`, "k");
    await claimRepository(own, FIRST);
    assert.ok(await Deno.stat(`${own}/${ACCOUNT_FILE}`), "a passwd cut short left two keys");

    const other = `${dir}/other`;
    await Deno.mkdir(`${other}/keys`, { recursive: true });
    await Deno.writeTextFile(`${other}/keys/${keyFileName(FIRST.kdf)}`, "k");
    await assert.rejects(claimRepository(other, SECOND), isForeign(dir));
    await assert.rejects(Deno.stat(`${other}/${ACCOUNT_FILE}`), Deno.errors.NotFound);
  }));

Deno.test("claimRepository() refuses a folder whose account file cannot be read", () =>
  inTempDir(async (dir) => {
    for (const text of ["", "{", '{"version":2,"user":"bob","created":"x"}', "[]"]) {
      await Deno.mkdir(`${dir}/bob`, { recursive: true });
      await Deno.writeTextFile(`${dir}/bob/${ACCOUNT_FILE}`, text);
      await assert.rejects(claimRepository(`${dir}/bob`, FIRST), isForeign(dir), text);
    }
  }));
