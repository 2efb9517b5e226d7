import assert from "node:assert/strict";
import { FileHoles, mayHaveHoles } from "./_file_holes.ts";

const MiB = 1024 * 1024;

Deno.test("FileHoles.regionAt() walks a sparse file's data and holes to its end", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sparse`;
    {
      using file = Deno.openSync(path, { write: true, create: true });
      file.truncateSync(8 * MiB);
      file.seekSync(2 * MiB, Deno.SeekMode.Start);
      file.writeSync(new Uint8Array(MiB).fill(1));
    }
    const info = Deno.statSync(path);
    assert.ok(mayHaveHoles(info), "precondition: the file system keeps holes");
    const holes = FileHoles.open(path, info);
    assert.ok(holes !== null);
    try {
      const regions = [];
      for (let at = 0; at < info.size;) {
        const region = holes.regionAt(at);
        regions.push([at, region.hole, region.end]);
        at = region.end;
      }
      assert.deepEqual(regions, [[0, true, 2 * MiB], [2 * MiB, false, 3 * MiB], [
        3 * MiB,
        true,
        8 * MiB,
      ]]);
      assert.ok(holes.regionAt(8 * MiB).end <= 8 * MiB, "the end is reported as such");
    } finally {
      holes.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileHoles.open() refuses a path that now names another file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    using file = Deno.openSync(`${dir}/a`, { write: true, create: true });
    file.truncateSync(MiB);
    const info = Deno.statSync(`${dir}/a`);
    Deno.renameSync(`${dir}/a`, `${dir}/old`);
    Deno.writeFileSync(`${dir}/other`, new Uint8Array(10));
    Deno.renameSync(`${dir}/other`, `${dir}/a`);
    assert.equal(FileHoles.open(`${dir}/a`, info), null);
    const itself = FileHoles.open(`${dir}/old`, info);
    assert.notEqual(itself, null, "precondition: the file itself is looked into");
    itself?.close();
    assert.ok(!mayHaveHoles(Deno.statSync(`${dir}/a`)), "a dense file is not looked into");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileHoles.open() refuses, without hanging, a fifo put in the file's place", async () => {
  const dir = await Deno.makeTempDir();
  try {
    using file = Deno.openSync(`${dir}/a`, { write: true, create: true });
    file.truncateSync(MiB);
    const info = Deno.statSync(`${dir}/a`);
    Deno.removeSync(`${dir}/a`);
    const made = new Deno.Command("mkfifo", { args: [`${dir}/a`] }).outputSync();
    assert.ok(made.success, "mkfifo");
    assert.equal(FileHoles.open(`${dir}/a`, info), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
