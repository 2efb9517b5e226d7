import assert from "node:assert/strict";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { diffTrees } from "./tree_diff.ts";

function file(path: string, size: number, chunk: number, mode = 0o644): TreeEntry {
  const id = new Uint8Array(32).fill(chunk);
  return { path, type: "file", mode, mtimeNs: 1n, size, inode: 0, chunks: [id], target: "" };
}
function dir(path: string): TreeEntry {
  return { path, type: "dir", mode: 0o755, mtimeNs: 1n, size: 0, inode: 0, chunks: [], target: "" };
}
function link(path: string, target: string): TreeEntry {
  return { path, type: "symlink", mode: 0o777, mtimeNs: 1n, size: 0, inode: 0, chunks: [], target };
}

Deno.test("diffTrees() reports added, removed, modified and retyped paths in path order", () => {
  const before = [
    dir("d"),
    file("d/same.txt", 10, 1),
    file("d/edited.txt", 100, 2),
    file("d/chmod.sh", 5, 3),
    file("gone.bin", 40, 4),
    file("retyped", 7, 5),
    link("ln", "a"),
  ];
  const after = [
    dir("d"),
    { ...file("d/same.txt", 10, 1), mtimeNs: 99n },
    file("d/edited.txt", 120, 9),
    file("d/chmod.sh", 5, 3, 0o755),
    dir("retyped"),
    link("ln", "b"),
    file("new.txt", 30, 8),
  ];
  const { changes, totals } = diffTrees(before, after);
  assert.deepEqual(changes.map((c) => `${c.marker} ${c.path} ${c.changed.join(",")}`.trim()), [
    "M d/chmod.sh mode",
    "M d/edited.txt content",
    "- gone.bin",
    "M ln target",
    "+ new.txt",
    "T retyped",
  ]);
  assert.deepEqual(totals, {
    added: { files: 1, dirs: 0, symlinks: 0, special: 0 },
    removed: { files: 1, dirs: 0, symlinks: 0, special: 0 },
    modified: 3,
    typeChanged: 1,
    bytesAdded: 120 + 30,
    bytesRemoved: 100 + 40 + 7,
  });
});

Deno.test("diffTrees() sees a change of chunks at the same size", () => {
  const { changes } = diffTrees([file("f", 10, 1)], [file("f", 10, 2)]);
  assert.deepEqual(changes.map((c) => c.changed), [["content"]]);
});

Deno.test("diffTrees() of a tree with itself is empty", () => {
  const tree = [dir("a"), file("a/b", 3, 1), link("c", "a")];
  assert.deepEqual(diffTrees(tree, tree).changes, []);
});

Deno.test("diffTrees() compares hard links, special files and owners", () => {
  const alice = { uid: 1000, gid: 100, user: "alice", group: "users" };
  const dev = (major: number): TreeEntry => ({
    ...dir("dev"),
    type: "chardev",
    mode: 0o666,
    device: { major, minor: 3 },
  });
  const before = [
    { ...file("a", 10, 1), owner: alice },
    { ...file("b", 10, 1), type: "hardlink" as const, target: "a" },
    { ...dev(1), path: "null" },
    { ...file("c", 5, 2) },
  ];
  const after = [
    { ...file("a", 10, 1), owner: { ...alice, uid: 0, user: "root" } },
    { ...file("a2", 10, 1) },
    { ...file("b", 10, 1), type: "hardlink" as const, target: "a2" },
    { ...dev(2), path: "null" },
    { ...file("c", 5, 2), owner: alice },
    { ...dir("p"), type: "fifo" as const },
  ];
  const { changes, totals } = diffTrees(before, after);
  assert.deepEqual(changes.map((c) => `${c.marker} ${c.path} ${c.changed.join(",")}`.trim()), [
    "M a owner",
    "+ a2",
    "M b target",
    "M null device",
    "+ p",
  ]);
  assert.deepEqual(totals.added, { files: 1, dirs: 0, symlinks: 0, special: 1 });
});
