import assert from "node:assert/strict";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { NotFoundError, UsageError } from "../errors.ts";
import { findEntry, listPath, selectedPathBytes, selectPaths, snapshotPath } from "./tree_paths.ts";

function entry(path: string, type: TreeEntry["type"] = "file"): TreeEntry {
  return { path, type, mode: 0o644, mtimeNs: 0n, size: 0, inode: 0, chunks: [], target: "" };
}

const TREE = [
  entry("a", "dir"),
  entry("a/one.txt"),
  entry("a/b", "dir"),
  entry("a/b/two.txt"),
  entry("ab.txt"),
  entry("c", "dir"),
  entry("c/link", "symlink"),
];
const paths = (entries: TreeEntry[]) => entries.map((e) => e.path);

Deno.test("snapshotPath() drops slashes and dots, refuses ..", () => {
  assert.equal(snapshotPath("/a//b/./c/"), "a/b/c");
  assert.equal(snapshotPath("/"), "");
  assert.equal(snapshotPath("."), "");
  assert.throws(() => snapshotPath("a/../b"), UsageError);
  assert.throws(() => snapshotPath("a\0b"), UsageError);
});

Deno.test("listPath() lists a folder's children, or all below it when recursive", () => {
  assert.deepEqual(paths(listPath(TREE, "", false)), ["a", "ab.txt", "c"]);
  assert.deepEqual(paths(listPath(TREE, "a", false)), ["a/one.txt", "a/b"]);
  assert.deepEqual(paths(listPath(TREE, "a", true)), ["a/one.txt", "a/b", "a/b/two.txt"]);
  assert.deepEqual(paths(listPath(TREE, "", true)), paths(TREE));
  assert.deepEqual(paths(listPath(TREE, "a/one.txt", false)), ["a/one.txt"]);
  assert.throws(() => listPath(TREE, "nope", false), NotFoundError);
});

Deno.test("findEntry() finds one path, never the root", () => {
  assert.equal(findEntry(TREE, "c/link")?.type, "symlink");
  assert.equal(findEntry(TREE, ""), undefined);
  assert.equal(findEntry(TREE, "a/b/two"), undefined);
});

Deno.test("selectPaths() keeps the paths, their subtrees and the folders leading to them", () => {
  assert.deepEqual(paths(selectPaths(TREE, ["a/b/two.txt"])), ["a", "a/b", "a/b/two.txt"]);
  assert.deepEqual(paths(selectPaths(TREE, ["a/b", "ab.txt"])), [
    "a",
    "a/b",
    "a/b/two.txt",
    "ab.txt",
  ]);
  assert.deepEqual(paths(selectPaths(TREE, ["a"])), ["a", "a/one.txt", "a/b", "a/b/two.txt"]);
  assert.deepEqual(paths(selectPaths(TREE, [""])), paths(TREE));
});

Deno.test("selectPaths() refuses a path the snapshot does not hold", () => {
  assert.throws(() => selectPaths(TREE, ["a/one.txt", "a/on"]), /Cannot find "a\/on"/);
});

Deno.test("selectedPathBytes() keeps what selectPaths() keeps, comparing UTF-8 bytes", () => {
  const tree = [...TREE, entry("a/bc"), entry("é", "dir"), entry("é/ü.txt"), entry("éa")];
  const utf8 = new TextEncoder();
  for (const wanted of [["a/b"], ["a/b/two.txt", "c"], ["é"], ["é/ü.txt"], ["ab.txt"]]) {
    const keep = selectedPathBytes(wanted);
    const kept = tree.filter((e) => {
      const bytes = utf8.encode(`>${e.path}<`);
      return keep(bytes, 1, bytes.length - 1);
    });
    assert.deepEqual(paths(kept), paths(selectPaths(tree, wanted)), wanted.join());
  }
});
