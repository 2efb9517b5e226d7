import assert from "node:assert/strict";
import { makeDirDurable, writeFileAtomic } from "./atomic_file.ts";

Deno.test("writeFileAtomic() replaces a file whole, with the given mode, leaving no temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/data`;
    await writeFileAtomic(path, "first");
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]), { mode: 0o640 });
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o640);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["data"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() with createNew never replaces an existing file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/secret`;
    await writeFileAtomic(path, "mine", { createNew: true });
    await assert.rejects(
      writeFileAtomic(path, "theirs", { createNew: true }),
      Deno.errors.AlreadyExists,
    );
    assert.equal(await Deno.readTextFile(path), "mine");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["secret"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("makeDirDurable() fsyncs the parent of every folder it makes, and nothing more", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const synced: string[] = [];
    const syncDir = (folder: string) => (synced.push(folder), Promise.resolve());
    assert.equal(await makeDirDurable(`${dir}/a/b/c`, { syncDir }), true);
    assert.deepEqual(synced, [dir, `${dir}/a`, `${dir}/a/b`]);
    assert.equal((await Deno.stat(`${dir}/a/b/c`)).mode! & 0o777, 0o700);
    synced.length = 0;
    assert.equal(await makeDirDurable(`${dir}/a/b/c/`, { syncDir }), false);
    assert.equal(await makeDirDurable(`${dir}/a/d`, { syncDir }), true);
    assert.deepEqual(synced, [`${dir}/a`], "only the parent of the one folder made");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
