import assert from "node:assert/strict";
import { lockFile } from "./exclusive_lock.ts";

Deno.test("lockFile() refuses a second holder until the first releases, then takes it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/a.lock`;
    const first = await lockFile(path, 0);
    assert.ok(first !== null, "a free lock is taken at once");
    assert.equal(await lockFile(path, 60), null, "a held lock is refused after the wait");
    const waiting = lockFile(path, 5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    first.release();
    first.release(); // idempotent
    const second = await waiting;
    assert.ok(second !== null, "a waiter gets the lock once it is released");
    second.release();
    assert.ok(await Deno.stat(path), "the lock file stays in place");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lockFile() locks each file on its own", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = await lockFile(`${dir}/a.lock`, 0);
    const b = await lockFile(`${dir}/b.lock`, 0);
    assert.ok(a !== null && b !== null);
    a.release();
    b.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lockFile() throws when the lock file's folder is missing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(lockFile(`${dir}/missing/a.lock`, 0), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
