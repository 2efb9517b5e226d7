import assert from "node:assert/strict";
import type { SnapshotListing } from "../client/remote_repository.ts";
import { IntegrityError, NotFoundError, UsageError } from "../errors.ts";
import type { SnapshotRecord } from "../format/snapshot_model.ts";
import { chooseSnapshot } from "./snapshot_choice.ts";

function record(id: string, set: string, time: string): SnapshotRecord {
  return { id, set, time } as SnapshotRecord;
}

const LISTING: SnapshotListing = {
  records: [
    record("aaaa111100000000", "docs", "2026-01-01T00:00:00Z"),
    record("aaaa222200000000", "docs", "2026-01-03T00:00:00Z"),
    record("bbbb333300000000", "photos", "2026-01-02T00:00:00Z"),
  ],
  unreadable: [{ id: "cccc444400000000", reason: "it does not open" }],
  damagedChunks: 0,
};

Deno.test("chooseSnapshot() takes a full id or a unique prefix of 4+ characters", () => {
  assert.equal(chooseSnapshot(LISTING, "aaaa222200000000", undefined).id, "aaaa222200000000");
  assert.equal(chooseSnapshot(LISTING, "bbbb", undefined).id, "bbbb333300000000");
  assert.equal(chooseSnapshot(LISTING, "aaaa1", "docs").id, "aaaa111100000000");
  assert.throws(() => chooseSnapshot(LISTING, "aaaa", undefined), /ambiguous/);
  assert.throws(() => chooseSnapshot(LISTING, "aaa", undefined), UsageError);
  assert.throws(() => chooseSnapshot(LISTING, "AAAA1111", undefined), UsageError);
  assert.throws(() => chooseSnapshot(LISTING, "dddd", undefined), NotFoundError);
  assert.throws(() => chooseSnapshot(LISTING, "bbbb", "docs"), /in set "docs"/);
});

Deno.test("chooseSnapshot() takes latest of the set, or of the only set", () => {
  assert.equal(chooseSnapshot(LISTING, "latest", "docs").id, "aaaa222200000000");
  assert.equal(chooseSnapshot(LISTING, "latest", "photos").id, "bbbb333300000000");
  assert.throws(() => chooseSnapshot(LISTING, "latest", undefined), /use --name SET/);
  assert.throws(() => chooseSnapshot(LISTING, "latest", "music", "list"), /Cannot list: set/);
});

Deno.test("chooseSnapshot() says why an id names an unreadable snapshot", () => {
  assert.throws(
    () => chooseSnapshot(LISTING, "cccc", undefined, "list"),
    (error) => error instanceof IntegrityError && /Cannot list snapshot cccc/.test(error.message),
  );
});
