/**
 * End to end: hard links. A copy of the machine's zoneinfo (with its zone aliases as hard links,
 * as tzdata installs them) comes back with every file's content and the same grouping of paths by
 * inode; linked data is read and stored once; a tar holds the links; `pull --path` of a later
 * link alone restores its content; `ls --long` names what a link points to.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { addUser, clientOf, withServer } from "./_harness.ts";
import { runCommand } from "../_testing.ts";

const ZONEINFO = "/usr/share/zoneinfo";
const zoneinfoProblem = await Deno.stat(ZONEINFO).then(
  (info) => (info.isDirectory ? null : `${ZONEINFO} is not a folder`),
  () => `no ${ZONEINFO} on this machine`,
);
// deno-lint-ignore no-console -- a skipped test says why
if (zoneinfoProblem !== null) console.log(`hard link zoneinfo test skipped: ${zoneinfoProblem}`);

/** Every path under `root` with its lstat, in a stable order. */
function walk(root: string, rel = ""): [string, Deno.FileInfo][] {
  const out: [string, Deno.FileInfo][] = [];
  const names = [...Deno.readDirSync(rel === "" ? root : `${root}/${rel}`)].map((e) => e.name);
  for (const name of names.sort()) {
    const path = rel === "" ? name : `${rel}/${name}`;
    const info = Deno.lstatSync(`${root}/${path}`);
    out.push([path, info]);
    if (info.isDirectory) out.push(...walk(root, path));
  }
  return out;
}

/**
 * Replaces each symlink under `root` that leads to a regular file under `root` with a hard link
 * to that file (Debian installs zone aliases as symlinks, upstream tzdata as hard links).
 */
function symlinksToHardLinks(root: string): void {
  const real = Deno.realPathSync(root);
  for (const [path, info] of walk(root)) {
    if (!info.isSymlink) continue;
    const target = Deno.realPathSync(`${root}/${path}`);
    if (!target.startsWith(`${real}/`) || !Deno.statSync(target).isFile) continue;
    Deno.removeSync(`${root}/${path}`);
    Deno.linkSync(target, `${root}/${path}`);
  }
}

/** The tree's shape: each path's type and (for files) content hash, and paths grouped by inode. */
function shape(root: string): { paths: string[]; groups: string[][] } {
  const paths: string[] = [];
  const byInode = new Map<number, string[]>();
  for (const [path, info] of walk(root)) {
    if (info.isFile) {
      const hash = createHash("sha256").update(Deno.readFileSync(`${root}/${path}`)).digest("hex");
      paths.push(`${path} file ${hash} links ${info.nlink}`);
      byInode.set(info.ino!, [...(byInode.get(info.ino!) ?? []), path]);
    } else if (info.isSymlink) paths.push(`${path} -> ${Deno.readLinkSync(`${root}/${path}`)}`);
    else paths.push(`${path} ${info.isDirectory ? "dir" : "other"}`);
  }
  const groups = [...byInode.values()].filter((g) => g.length > 1).map((g) => g.sort()).sort();
  return { paths, groups };
}

Deno.test({
  name: "hard links: a copy of zoneinfo comes back with the same links, and a tar holds them",
  ignore: zoneinfoProblem !== null,
}, async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const source = `${work}/zoneinfo`;
    await runCommand("cp", ["-a", ZONEINFO, source]);
    symlinksToHardLinks(source);
    const before = shape(source);
    assert.ok(before.groups.length >= 50, `${before.groups.length} groups of hard links`);
    const pushed = await run(["push", source, "--json"]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const pulled = await run(["pull", `${work}/out`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /hard links: \d+/);
    assert.deepEqual(shape(`${work}/out/zoneinfo`), before);

    const tar = await run(["pull", `${work}/zoneinfo.tar`]);
    assert.equal(tar.code, 0, tar.stderr);
    const listing = await runCommand("tar", ["-tvf", `${work}/zoneinfo.tar`]);
    const links = listing.split("\n").filter((line) => / link to zoneinfo\//.test(line)).length;
    const extra = before.groups.reduce((n, group) => n + group.length - 1, 0);
    assert.equal(links, extra, "one tar link entry per path after a file's first");
  });
});

Deno.test("hard links: linked data is read and stored once; pull --path of a later link restores its content", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const source = `${work}/linked`;
    await Deno.mkdir(`${source}/b`, { recursive: true });
    const data = new Uint8Array(4 * 1024 * 1024);
    for (let at = 0; at < data.length; at += 65536) {
      crypto.getRandomValues(data.subarray(at, at + 65536));
    }
    await Deno.writeFile(`${source}/a.bin`, data);
    for (const name of ["b/one.bin", "b/two.bin", "three.bin"]) {
      await Deno.link(`${source}/a.bin`, `${source}/${name}`);
    }
    const pushed = await run(["push", source, "--json"]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const summary = JSON.parse(pushed.stdout);
    assert.equal(summary.files, 4);
    assert.equal(summary.bytesRead, data.length, "read once");
    assert.ok(
      summary.bytesStored >= data.length && summary.bytesStored < data.length * 1.1,
      `stored ${summary.bytesStored} bytes for ${data.length} of data`,
    );

    const long = await run(["ls", "latest", "b", "--long"]);
    assert.equal(long.code, 0, long.stderr);
    assert.match(
      long.stdout,
      /^-rw\S+ +\S+ +4194304 +\S+ \S+ {2}b\/one\.bin \(hard link to a\.bin\)$/m,
    );

    const partial = await run(["pull", `${work}/part`, "--path", "b/two.bin"]);
    assert.equal(partial.code, 0, partial.stderr);
    assert.deepEqual(await Deno.readFile(`${work}/part/linked/b/two.bin`), data);
    assert.deepEqual([...Deno.readDirSync(`${work}/part/linked`)].map((e) => e.name), ["b"]);

    const pulled = await run(["pull", `${work}/out`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const inode = Deno.lstatSync(`${work}/out/linked/a.bin`).ino;
    for (const name of ["a.bin", "b/one.bin", "b/two.bin", "three.bin"]) {
      const info = Deno.lstatSync(`${work}/out/linked/${name}`);
      assert.deepEqual([info.ino, info.nlink], [inode, 4], name);
    }
    assert.deepEqual(await Deno.readFile(`${work}/out/linked/three.bin`), data);
  });
});
