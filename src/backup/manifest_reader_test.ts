import assert from "node:assert/strict";
import { IntegrityError, NotFoundError } from "../errors.ts";
import { toHex } from "../format/chunk_id.ts";
import { ManifestEncoder } from "../format/manifest_codec.ts";
import type { SnapshotRecord, TreeEntry } from "../format/snapshot_model.ts";
import { selectPaths } from "../browse/tree_paths.ts";
import { chunkId, MemoryChunkSource } from "../restore/_restore_test_util.ts";
import { readManifest, readManifestPaths } from "./manifest_reader.ts";

function entry(path: string, type: TreeEntry["type"], extra: Partial<TreeEntry> = {}): TreeEntry {
  return {
    path,
    type,
    mode: 0o644,
    mtimeNs: 5n,
    size: 0,
    inode: 0,
    chunks: [],
    target: "",
    ...extra,
  };
}

/** A tree whose hard link `b/link` names a file outside `b`. */
const TREE: TreeEntry[] = [
  entry("a", "dir"),
  entry("a/data.bin", "file", { size: 3, chunks: [chunkId(9)], inode: 4 }),
  entry("a/é ü.txt", "file"),
  entry("ab", "dir"),
  entry("ab/x", "symlink", { target: "../a" }),
  entry("b", "dir"),
  entry("b/link", "hardlink", { size: 3, chunks: [chunkId(9)], target: "a/data.bin" }),
];

/** The manifest of TREE stored in a memory source, in pieces of 40 bytes, and its record. */
function stored(tree: readonly TreeEntry[]): { source: MemoryChunkSource; record: SnapshotRecord } {
  const encoder = new ManifestEncoder();
  for (const e of tree) encoder.add(e);
  const bytes = encoder.finish();
  const source = new MemoryChunkSource();
  const manifest: string[] = [];
  for (let at = 0, n = 1; at < bytes.length; at += 40, n++) {
    manifest.push(toHex(source.put(chunkId(n), bytes.slice(at, at + 40))));
  }
  return { source, record: { id: "0123456789abcdef", manifest } as SnapshotRecord };
}

Deno.test("readManifestPaths() returns what selectPaths() keeps of the whole manifest", async () => {
  const { source, record } = stored(TREE);
  const whole = await readManifest(source, record);
  assert.deepEqual(whole, TREE);
  for (const paths of [["a/é ü.txt"], ["a"], ["ab/x", "a/data.bin"], ["b"], ["b/link"], [""]]) {
    assert.deepEqual(
      await readManifestPaths(source, record, paths),
      selectPaths(whole, paths),
      paths.join(),
    );
  }
});

Deno.test("readManifestPaths() gives a hard link its file's chunks when the file is not selected", async () => {
  const { source, record } = stored(TREE);
  const [, link] = await readManifestPaths(source, record, ["b/link"]);
  assert.equal(link?.path, "b/link");
  assert.deepEqual(link?.chunks, [chunkId(9)]);
  assert.equal(link?.size, 3);
});

Deno.test("readManifestPaths() names a missing path, and a damaged piece names the snapshot", async () => {
  const { source, record } = stored(TREE);
  await assert.rejects(readManifestPaths(source, record, ["a/nope"]), NotFoundError);
  source.bad.add(record.manifest[1]!);
  await assert.rejects(
    readManifestPaths(source, record, ["a"]),
    (error) => error instanceof IntegrityError && /snapshot 0123456789abcdef/.test(error.message),
  );
});
