import assert from "node:assert/strict";
import { lstatEntry, setModificationTime, statFollowing } from "./fs_times.ts";
import { nsToMs } from "./format/snapshot_model.ts";
import { inTempDir } from "../tests/_testing.ts";

const NS = 1_600_000_000_123_456_789n;

Deno.test("setModificationTime() and lstatEntry() keep every nanosecond, symlinks apart", () =>
  inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/f`, "x");
    await Deno.symlink("f", `${dir}/link`);
    setModificationTime(`${dir}/f`, NS);
    setModificationTime(`${dir}/link`, NS + 1n, true);
    assert.equal(lstatEntry(`${dir}/f`).mtimeNs, NS);
    assert.equal(lstatEntry(`${dir}/link`).mtimeNs, NS + 1n);
    assert.ok(lstatEntry(`${dir}/link`).isSymlink);
    assert.equal(statFollowing(`${dir}/link`).mtimeNs, NS, "following the link reads the file");
    // What `stat` reports, as an outside witness of the nanoseconds.
    const shown = new TextDecoder().decode(
      (await new Deno.Command("stat", { args: ["-c", "%.9Y", `${dir}/f`] }).output()).stdout,
    );
    assert.equal(shown.trim(), "1600000000.123456789");
  }));

Deno.test("lstatEntry() reports kind, mode, size and inode as Deno does", () =>
  inTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/f`, new Uint8Array(1234), { mode: 0o640 });
    await Deno.chmod(`${dir}/f`, 0o640);
    const ours = lstatEntry(`${dir}/f`);
    const deno = Deno.lstatSync(`${dir}/f`);
    assert.deepEqual(
      [ours.isFile, ours.isDirectory, ours.mode, ours.size, ours.inode, ours.special],
      [true, false, 0o640, 1234, deno.ino, undefined],
    );
    assert.ok(lstatEntry(dir).isDirectory);
    assert.throws(() => lstatEntry(`${dir}/missing`), Deno.errors.NotFound);
  }));

Deno.test("nsToMs() rounds down, before 1970 too", () => {
  assert.equal(nsToMs(1_999_999n), 1);
  assert.equal(nsToMs(-1n), -1);
  assert.equal(nsToMs(-1_000_000n), -1);
});

Deno.test("lstatEntry() tells file systems apart by device, and agrees with Deno's own stat", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a`, "a");
    await Deno.writeTextFile(`${dir}/b`, "b");
    assert.equal(lstatEntry(`${dir}/a`).device, lstatEntry(`${dir}/b`).device);
    assert.notEqual(lstatEntry(dir).device, lstatEntry("/proc/self").device);
    const dev = BigInt(Deno.lstatSync(dir).dev);
    const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
    const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
    assert.equal(lstatEntry(dir).device, Number(major * 0x1_0000_0000n + minor));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lstatEntry() reports links, owner and device numbers as Deno does", () =>
  inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/f`, "x");
    await Deno.link(`${dir}/f`, `${dir}/g`);
    const file = lstatEntry(`${dir}/f`);
    const deno = Deno.lstatSync(`${dir}/f`);
    assert.deepEqual([file.links, file.uid, file.gid], [2, deno.uid, deno.gid]);
    assert.deepEqual(file.rdev, { major: 0, minor: 0 });
    const nullDevice = lstatEntry("/dev/null");
    assert.equal(nullDevice.special, "character device");
    assert.deepEqual(nullDevice.rdev, { major: 1, minor: 3 });
  }));
