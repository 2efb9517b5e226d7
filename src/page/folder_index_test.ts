import assert from "node:assert/strict";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { FolderIndex } from "./folder_index.ts";

function entry(path: string, type: TreeEntry["type"], size = 0, mtimeS = 0): TreeEntry {
  return {
    path,
    type,
    mode: type === "dir" ? 0o755 : 0o644,
    mtimeNs: BigInt(mtimeS) * 1_000_000_000n,
    size,
    inode: 0,
    chunks: [],
    target: type === "symlink" ? "elsewhere" : "",
  };
}

const TREE = new FolderIndex([
  entry("b", "dir"),
  entry("b/file10.txt", "file", 5, 30),
  entry("b/File2.txt", "file", 50, 10),
  entry("b/sub", "dir"),
  entry("b/sub/deep.txt", "file", 1, 20),
  entry("a.txt", "file", 7, 40),
  entry("link", "symlink"),
]);

const BY_NAME = { sort: "name", descending: false, filter: "" } as const;

Deno.test("a folder's listing puts folders first, then names in reading order", () => {
  assert.deepEqual(TREE.listing("", BY_NAME).map((e) => e.path), ["b", "a.txt", "link"]);
  assert.deepEqual(
    TREE.listing("b", BY_NAME).map((e) => e.path),
    ["b/sub", "b/File2.txt", "b/file10.txt"],
  );
});

Deno.test("a listing sorts by size or time either way, folders still first", () => {
  const bySize = TREE.listing("b", { sort: "size", descending: true, filter: "" });
  assert.deepEqual(bySize.map((e) => e.path), ["b/sub", "b/File2.txt", "b/file10.txt"]);
  const byTime = TREE.listing("b", { sort: "time", descending: false, filter: "" });
  assert.deepEqual(byTime.map((e) => e.path), ["b/sub", "b/File2.txt", "b/file10.txt"]);
  const newest = TREE.listing("b", { sort: "time", descending: true, filter: "" });
  assert.deepEqual(newest.map((e) => e.path), ["b/sub", "b/file10.txt", "b/File2.txt"]);
});

Deno.test("a filter keeps the names that contain it, case ignored", () => {
  assert.deepEqual(
    TREE.listing("b", { ...BY_NAME, filter: "FILE1" }).map((e) => e.path),
    ["b/file10.txt"],
  );
  assert.deepEqual(TREE.listing("b", { ...BY_NAME, filter: "nothing" }), []);
});

Deno.test("a folder's subtree is relative to its parent, in manifest order", () => {
  assert.deepEqual(TREE.subtree("b/sub").map((e) => e.path), ["sub", "sub/deep.txt"]);
  assert.deepEqual(TREE.subtree("b").map((e) => e.path), [
    "b",
    "b/file10.txt",
    "b/File2.txt",
    "b/sub",
    "b/sub/deep.txt",
  ]);
  assert.equal(TREE.subtree("").length, 7);
  assert.deepEqual(TREE.subtree("a.txt"), []);
});

Deno.test("only the root and folders are folders", () => {
  assert.ok(TREE.isFolder(""));
  assert.ok(TREE.isFolder("b/sub"));
  assert.ok(!TREE.isFolder("a.txt"));
  assert.ok(!TREE.isFolder("missing"));
  assert.deepEqual(TREE.children("missing"), []);
});
