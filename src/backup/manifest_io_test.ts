import assert from "node:assert/strict";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { sameEntries } from "./manifest_io.ts";

function file(path: string, id: number): TreeEntry {
  const chunk = new Uint8Array(32).fill(id);
  return {
    path,
    type: "file",
    mode: 0o644,
    mtimeMs: 1000,
    size: 10,
    inode: 7,
    chunks: [chunk],
    target: "",
  };
}

Deno.test("sameEntries() is true only for the same tree, field by field and in order", () => {
  const tree = [file("a", 1), file("b", 2)];
  assert.ok(sameEntries(tree, [file("a", 1), file("b", 2)]), "equal copies");
  assert.ok(sameEntries([], []));
  assert.ok(!sameEntries(tree, [file("b", 2), file("a", 1)]), "order");
  assert.ok(!sameEntries(tree, [file("a", 1)]), "length");
  assert.ok(!sameEntries(tree, [file("a", 1), file("b", 3)]), "chunk id");
  for (const change of [{ mode: 0o600 }, { mtimeMs: 1001 }, { size: 11 }, { inode: 8 }]) {
    assert.ok(
      !sameEntries(tree, [file("a", 1), { ...file("b", 2), ...change }]),
      JSON.stringify(change),
    );
  }
  const link: TreeEntry = { ...file("c", 0), type: "symlink", size: 0, chunks: [], target: "x" };
  assert.ok(!sameEntries([link], [{ ...link, target: "y" }]), "symlink target");
});
