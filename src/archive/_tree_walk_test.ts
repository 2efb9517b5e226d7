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
