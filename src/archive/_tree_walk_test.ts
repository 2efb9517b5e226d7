import assert from "node:assert/strict";
import { compareUtf8, walkTree } from "./_tree_walk.ts";

Deno.test("compareUtf8() orders names as their UTF-8 bytes", () => {
  const names = ["b", "\u{1F600}", "\uFFFD", "B", "a b", "a", "ä", "a-b"];
  const bytes = (s: string) => [...new TextEncoder().encode(s)];
  const expected = [...names].sort((x, y) => {
    const [a, b] = [bytes(x), bytes(y)];
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  });
  assert.deepEqual([...names].sort(compareUtf8), expected);
  assert.deepEqual(expected.slice(-2), ["\uFFFD", "\u{1F600}"]);
});

Deno.test("walkTree() lists a folder before its contents and records a symlink unfollowed", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/b/c`, { recursive: true });
    await Deno.writeTextFile(`${root}/b/c/f`, "x");
    await Deno.writeTextFile(`${root}/a`, "yz");
    await Deno.symlink("/nonexistent", `${root}/b/link`);
    const walk = walkTree(root, () => assert.fail("no warning"));
    assert.equal(walk.rootType, "dir");
    const entries = [...walk.entries].map((
      { entry },
    ) => [entry.type, entry.path, entry.size, entry.target]);
    assert.deepEqual(entries, [
      ["file", "a", 2, ""],
      ["dir", "b", 0, ""],
      ["dir", "b/c", 0, ""],
      ["file", "b/c/f", 1, ""],
      ["symlink", "b/link", 0, "/nonexistent"],
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("walkTree() leaves out names that are not UTF-8 with a warning each, never changed", async () => {
  const root = await Deno.makeTempDir();
  try {
    const script = "mkdir sub $'sub/dir\\xc3' && touch $'sub/dir\\xc3/inside' " +
      "$'sub/bad\\xff.txt' $'sub/bad\\xef\\xbf\\xbd.txt' sub/plain && ln -s $'to\\xff' sub/link";
    const made = new Deno.Command("bash", { args: ["-c", script], cwd: root }).outputSync();
    assert.ok(made.success, new TextDecoder().decode(made.stderr));
    const warnings: string[] = [];
    const walk = walkTree(root, (path, reason) => warnings.push(`${path}: ${reason}`));
    const entries = [...walk.entries].map(({ entry }) => `${entry.type} ${entry.path}`);
    assert.deepEqual(entries, ["dir sub", "file sub/bad\uFFFD.txt", "file sub/plain"]);
    const [badFile, badFolder, link, ...rest] = warnings.sort();
    assert.deepEqual([badFile, badFolder, rest], [
      "sub/bad\\xff.txt: Cannot back up entry: its name is not valid UTF-8, skipped",
      "sub/dir\\xc3: Cannot back up entry: its name is not valid UTF-8, skipped",
      [],
    ]);
    assert.match(link!, /^sub\/link: Cannot read symlink: .*not valid UTF-8/, "Deno refuses it");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("walkTree() records owners, fifos and devices without opening them, and hard links", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${root}/a`, "yz");
    await Deno.link(`${root}/a`, `${root}/b`);
    const made = await new Deno.Command("mkfifo", { args: [`${root}/pipe`] }).output();
    assert.ok(made.success, "mkfifo");
    const asRoot = Deno.uid() === 0;
    if (asRoot) {
      const node = await new Deno.Command("mknod", { args: [`${root}/null`, "c", "1", "3"] })
        .output();
      assert.ok(node.success, "mknod");
    }
    const walk = walkTree(root, (path, reason) => assert.fail(`${path}: ${reason}`));
    const entries = [...walk.entries].map(({ entry }) => entry);
    assert.deepEqual(entries.map((e) => [e.type, e.path, e.target]), [
      ["file", "a", ""],
      ["hardlink", "b", "a"],
      ...(asRoot ? [["chardev", "null", ""]] : []),
      ["fifo", "pipe", ""],
    ]);
    const info = Deno.lstatSync(`${root}/a`);
    const passwd = Deno.readTextFileSync("/etc/passwd");
    const user = passwd.split("\n").find((line) => line.split(":")[2] === String(info.uid));
    assert.deepEqual(entries[0]!.owner, {
      uid: info.uid,
      gid: info.gid,
      user: user?.split(":")[0] ?? "",
      group: entries[0]!.owner!.group,
    });
    if (asRoot) assert.deepEqual(entries[2]!.device, { major: 1, minor: 3 });
    assert.equal(entries.at(-1)!.device, undefined);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
