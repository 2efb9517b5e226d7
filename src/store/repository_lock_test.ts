import assert from "node:assert/strict";
import { lockRepository } from "./repository_lock.ts";
import { inTempDir } from "../../tests/_testing.ts";

Deno.test("lockRepository() makes DATA/locks durable in DATA, and never makes DATA", () =>
  inTempDir(async (dir) => {
    const synced: string[] = [];
    const syncDir = (folder: string) => (synced.push(folder), Promise.resolve());
    await assert.rejects(
      lockRepository(`${dir}/missing`, "alice", 0, { syncDir }),
      Deno.errors.NotFound,
    );
    const lock = await lockRepository(dir, "alice", 0, { syncDir });
    assert.ok(lock !== null);
    assert.deepEqual(synced, [dir]);
    assert.equal((await Deno.stat(`${dir}/locks`)).mode! & 0o777, 0o700);
    const other = await lockRepository(dir, "bob", 0, { syncDir });
    assert.deepEqual(synced, [dir], "DATA/locks exists now: nothing more to sync");
    lock.release();
    other?.release();
  }));
