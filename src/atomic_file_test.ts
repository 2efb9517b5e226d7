import assert from "node:assert/strict";
import { writeFileAtomic } from "./atomic_file.ts";

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
