import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import type { ChunkUploader } from "../client/chunk_uploader.ts";
import { chunkBoundaries } from "../format/chunker.ts";
import { fixedGearTable, type GearTable } from "../format/gear_table.ts";
import { ManifestEncoder } from "../format/manifest_codec.ts";
import { deriveRepositoryKeys, KEY_FILE_KEYED_GEAR } from "../format/master_key.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { sameEntries, writeManifest } from "./manifest_io.ts";

function file(path: string, id: number): TreeEntry {
  const chunk = new Uint8Array(32).fill(id);
  return {
    path,
    type: "file",
    mode: 0o644,
    mtimeNs: 1000n,
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
  for (const change of [{ mode: 0o600 }, { mtimeNs: 1001n }, { size: 11 }, { inode: 8 }]) {
    assert.ok(
      !sameEntries(tree, [file("a", 1), { ...file("b", 2), ...change }]),
      Object.keys(change).join(),
    );
  }
  const link: TreeEntry = { ...file("c", 0), type: "symlink", size: 0, chunks: [], target: "x" };
  assert.ok(!sameEntries([link], [{ ...link, target: "y" }]), "symlink target");
});

Deno.test("writeManifest() cuts the manifest with the repository's gear table", async () => {
  const keys = deriveRepositoryKeys({
    bytes: new Uint8Array(32).fill(5),
    version: KEY_FILE_KEYED_GEAR,
  });
  const entries = Array.from(
    { length: 40_000 },
    (_, i) => ({
      ...file(`file ${String(i).padStart(6, "0")} of a long list of names.txt`, i % 251),
      size: 1 + i * 31,
    }),
  );
  const encoder = new ManifestEncoder();
  for (const entry of entries) encoder.add(entry);
  const bytes = encoder.finish();
  const idsCutBy = (gear: GearTable) => {
    let at = 0;
    return chunkBoundaries(bytes, gear).map((length) =>
      createHmac("sha256", keys.idKey).update(bytes.subarray(at, at += length)).digest("hex")
    );
  };
  // Every chunk is already stored, so nothing is uploaded: only the ids are computed.
  const ids = await writeManifest(entries, keys, () => true, {} as ChunkUploader);
  assert.ok(ids.length >= 3, `${ids.length} manifest chunks`);
  assert.deepEqual(ids, idsCutBy(keys.gear));
  assert.notDeepEqual(ids, idsCutBy(fixedGearTable()));
});
