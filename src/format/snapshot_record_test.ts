import assert from "node:assert/strict";
import { IntegrityError } from "../errors.ts";
import { BlobSealer } from "./blob_crypto.ts";
import { deriveRepositoryKeys, KEY_FILE_KEYED_GEAR } from "./master_key.ts";
import type { SnapshotRecord } from "./snapshot_model.ts";
import { openSnapshotRecord, sealSnapshotRecord, snapshotBlobId } from "./snapshot_record.ts";

const KEYS = deriveRepositoryKeys({
  bytes: new Uint8Array(32).fill(3),
  version: KEY_FILE_KEYED_GEAR,
});

const RECORD: SnapshotRecord = {
  version: 2,
  id: "0123456789abcdef",
  set: "home",
  time: "2026-01-02T03:04:05.000Z",
  host: "host",
  source: "/home/alice",
  rootType: "dir",
  rootMode: 0o750,
  rootMtimeNs: 5n,
  rootOwner: { uid: 1000, gid: 100, user: "alice", group: "users" },
  parent: null,
  manifest: [],
  summary: {
    files: 0,
    dirs: 0,
    symlinks: 0,
    bytes: 0,
    filesNew: 0,
    filesChanged: 0,
    filesUnchanged: 0,
    filesRemoved: 0,
    bytesRead: 0,
    bytesSent: 0,
    bytesStored: 0,
    warnings: 0,
  },
};

/** Seals `fields` as JSON as a record would be, without the sealer's checks. */
function sealJson(fields: Record<string, unknown>): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(fields));
  return new BlobSealer(KEYS.dataKey).seal(snapshotBlobId(KEYS, RECORD.id), json, false);
}

Deno.test("openSnapshotRecord() reads the pushed folder's owner, and records without one", () => {
  const sealed = sealSnapshotRecord(KEYS, RECORD);
  assert.deepEqual(openSnapshotRecord(KEYS, RECORD.id, sealed), RECORD);
  const { rootOwner: _, ...older } = RECORD;
  assert.deepEqual(openSnapshotRecord(KEYS, RECORD.id, sealSnapshotRecord(KEYS, older)), older);
});

Deno.test("openSnapshotRecord() refuses a record whose root owner is malformed", () => {
  const wire = { ...RECORD, rootMtimeNs: "5" };
  for (
    const rootOwner of [
      null,
      { uid: -1, gid: 0, user: "", group: "" },
      { uid: 0, gid: 0, user: "a\nb", group: "" },
      { uid: 0, gid: 0, user: "", group: "", extra: 1 },
      { uid: 0, gid: 0, user: "" },
    ]
  ) {
    assert.throws(
      () => openSnapshotRecord(KEYS, RECORD.id, sealJson({ ...wire, rootOwner })),
      IntegrityError,
      JSON.stringify(rootOwner),
    );
  }
});
