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
