import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { concatBytes } from "../concat_bytes.ts";
import { toHex } from "../format/chunk_id.ts";
import { checkPack } from "./_pack_check.ts";
import {
  decodeIndex,
  encodeIndex,
  type IndexEntry,
  PACK_MAGICS,
  writeRecordHeader,
} from "./_pack_format.ts";

/** A version 2 pack of three records and its hashed index's entries. */
function pack(): { bytes: Uint8Array; entries: IndexEntry[] } {
  const parts: Uint8Array[] = [PACK_MAGICS[2]];
  const entries: IndexEntry[] = [];
  let offset = 8;
  for (let i = 0; i < 3; i++) {
    const id = new Uint8Array(32).fill(i + 1);
    const blob = new Uint8Array(100 + i).fill(0x50 + i);
    const header = new Uint8Array(40);
    writeRecordHeader(header, 0, id, blob);
    parts.push(header, blob);
    entries.push({ id, offset, length: blob.length });
    offset += 40 + blob.length;
  }
  return { bytes: concatBytes(parts), entries };
}

function indexOf(bytes: Uint8Array, entries: IndexEntry[], hashed = true) {
  const hash = hashed ? createHash("sha256").update(bytes).digest() : undefined;
  return decodeIndex(encodeIndex(new Uint8Array(16), entries, 2, hash), "x.idx");
}

Deno.test("checkPack() passes a healthy pack and says whether it was hash-checked", () => {
  const { bytes, entries } = pack();
  const hashed = checkPack(bytes, indexOf(bytes, entries));
  assert.deepEqual(hashed, { hashChecked: true, blobs: 3, problems: [], damaged: [] });
  assert.equal(checkPack(bytes, indexOf(bytes, entries, false)).hashChecked, false);
});

Deno.test("checkPack() names the blob whose bytes changed, by hash and by checksum", () => {
  const { bytes, entries } = pack();
  const index = indexOf(bytes, entries);
  const rotten = bytes.slice();
  rotten[entries[1]!.offset + 40 + 5]! ^= 1;
  const check = checkPack(rotten, index);
  assert.match(check.problems.join(), /do not match the SHA-256/);
  assert.deepEqual(check.damaged, [
    { id: toHex(entries[1]!.id), reason: "the blob does not match its checksum" },
  ]);
  // Without a kept hash the checksum alone still finds it.
  const unhashed = checkPack(rotten, indexOf(bytes, entries, false));
  assert.deepEqual(unhashed.problems, []);
  assert.equal(unhashed.damaged.length, 1);
});

Deno.test("checkPack() finds records that disagree with the index, and damage no record covers", () => {
  const { bytes, entries } = pack();
  const index = indexOf(bytes, entries);
  const renamed = bytes.slice();
  renamed[entries[0]!.offset + 3]! ^= 1;
  assert.deepEqual(checkPack(renamed, index).damaged.map((d) => d.reason), [
    "the record there names another id",
  ]);
  const short = indexOf(bytes, entries.slice(0, 2));
  assert.match(checkPack(bytes, short).problems.join(), /1 records in it are not in its index/);
  const cut = bytes.subarray(0, bytes.length - 10);
  const truncated = checkPack(cut, index);
  assert.match(truncated.problems.join(), /cut off in a record/);
  assert.equal(truncated.damaged[0]!.reason, "no whole record starts at its offset");
  const magic = bytes.slice();
  magic[2]! ^= 1;
  const unpinned = checkPack(magic, index);
  assert.match(unpinned.problems.join(), /not a version 2 pack/);
  assert.deepEqual(unpinned.damaged.map((d) => d.reason), Array(3).fill("in a damaged pack"));
});
