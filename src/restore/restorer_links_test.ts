import assert from "node:assert/strict";
import { toHex } from "../format/chunk_id.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { lstatEntry } from "../fs_times.ts";
import { restoreToFolder } from "./restorer.ts";
import { contentOf, entry, fileEntry, MemoryChunkSource } from "./_restore_test_util.ts";
import type { DamagedFileError } from "./tree_reader.ts";
import { inTempDir } from "../../tests/_testing.ts";

const AS_ROOT = Deno.uid() === 0;

/** A hard link to `file` at `path`, as a manifest gives it (with its file's content). */
function linkTo(file: TreeEntry, path: string): TreeEntry {
  return { ...file, path, type: "hardlink", target: file.path };
}

Deno.test("restoreToFolder() makes hard links, fifos and devices, gives owners, and skips sockets", async () => {
  await inTempDir(async (dir) => {
    const source = new MemoryChunkSource();
    const owner = { uid: 12345, gid: 12346, user: "", group: "" };
    const file = fileEntry(source, "d/f", [10, 20], { owner, mode: 0o4750 });
    const entries = [
      entry("d", "dir", { owner, mode: 0o2750 }),
      file,
      linkTo(file, "d/g"),
      linkTo(file, "h"),
      entry("d/pipe", "fifo", { mode: 0o640, owner }),
      ...(AS_ROOT ? [entry("d/null", "chardev", { device: { major: 1, minor: 3 }, owner })] : []),
      entry("d/sock", "socket"),
      entry("d/link", "symlink", { target: "f", owner }),
    ];
    const result = await restoreToFolder(entries, source, `${dir}/out`, {
      preserveSpecialBits: true,
    });
    assert.deepEqual(
      [result.files, result.hardLinks, result.specials, result.sockets, result.specialsSkipped],
      [1, 2, AS_ROOT ? 2 : 1, 1, 0],
    );
    const f = lstatEntry(`${dir}/out/d/f`);
    assert.equal(f.links, 3);
    assert.deepEqual([lstatEntry(`${dir}/out/d/g`).inode, lstatEntry(`${dir}/out/h`).inode], [
      f.inode,
      f.inode,
    ]);
    assert.deepEqual(Deno.readFileSync(`${dir}/out/h`), contentOf(source, file));
    const pipe = lstatEntry(`${dir}/out/d/pipe`);
    assert.deepEqual([pipe.special, pipe.mode, pipe.mtimeNs], ["fifo", 0o640, file.mtimeNs]);
    assert.throws(() => Deno.lstatSync(`${dir}/out/d/sock`), Deno.errors.NotFound);
    if (!AS_ROOT) return;
    assert.deepEqual(lstatEntry(`${dir}/out/d/null`).rdev, { major: 1, minor: 3 });
    for (const path of ["d", "d/f", "d/pipe", "d/null", "d/link"]) {
      const info = lstatEntry(`${dir}/out/${path}`);
      assert.deepEqual([info.uid, info.gid], [12345, 12346], path);
    }
    assert.equal(f.mode, 0o4750, "the owner is given before the mode, which keeps its setuid bit");
    assert.equal(lstatEntry(`${dir}/out/d`).mode, 0o2750);
  });
});

Deno.test("restoreToFolder() restores a hard link whose file is left out as a file, and links later ones to it", async () => {
  await inTempDir(async (dir) => {
    const source = new MemoryChunkSource();
    const file = fileEntry(source, "a", [7]);
    const entries = [entry("d", "dir"), linkTo(file, "d/b"), linkTo(file, "d/c")];
    const result = await restoreToFolder(entries, source, `${dir}/out`);
    assert.deepEqual([result.files, result.hardLinks], [1, 1]);
    assert.deepEqual(Deno.readFileSync(`${dir}/out/d/b`), contentOf(source, file));
    assert.equal(lstatEntry(`${dir}/out/d/c`).inode, lstatEntry(`${dir}/out/d/b`).inode);
    assert.throws(() => Deno.lstatSync(`${dir}/out/a`), Deno.errors.NotFound);
  });
});

Deno.test("restoreToFolder() reports a hard link to a damaged file as damaged too", async () => {
  await inTempDir(async (dir) => {
    const source = new MemoryChunkSource();
    const file = fileEntry(source, "a", [7]);
    source.bad.add(toHex(file.chunks[0]!));
    const damaged: string[] = [];
    const result = await restoreToFolder([file, linkTo(file, "b")], source, `${dir}/out`, {
      onDamaged: (damage: DamagedFileError) => damaged.push(damage.message),
    });
    assert.deepEqual([result.files, result.hardLinks, result.filesDamaged], [0, 0, 2]);
    assert.deepEqual(damaged, [
      'Cannot restore "a": chunk 0 does not verify',
      'Cannot restore "b": its file "a" could not be restored',
    ]);
    assert.deepEqual([...Deno.readDirSync(`${dir}/out`)], []);
  });
});

Deno.test("restoreToFolder() never links to a file outside DEST", async () => {
  await inTempDir(async (dir) => {
    const source = new MemoryChunkSource();
    Deno.writeTextFileSync(`${dir}/secret`, "outside");
    const link = entry("b", "hardlink", { target: "../secret" });
    await assert.rejects(restoreToFolder([link], source, `${dir}/out`), /Invalid hard link target/);
    // A target that is not a file this restore wrote (here: behind a symlink) gives a file.
    const viaSymlink = entry("b", "hardlink", { target: "s/secret" });
    await restoreToFolder([entry("s", "symlink", { target: dir }), viaSymlink], source, `${dir}/o`);
    assert.equal(Deno.statSync(`${dir}/secret`).nlink, 1, "no link to a file outside DEST");
    assert.deepEqual(Deno.readFileSync(`${dir}/o/b`), new Uint8Array(0));
  });
});
