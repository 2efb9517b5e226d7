/**
 * The conformance suite every `RepositoryRecords` implementation runs:
 * `repositoryRecordsSuite("file", open)` registers one Deno test per promise of the contract in
 * `src/store/repository_records.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { BurrowError, NotFoundError } from "../../src/errors.ts";
import type { RepositoryRecords } from "../../src/store/repository_records.ts";

/** Two empty repositories' records on the same backing store, and how to get at them again. */
export interface RecordsFixture {
  /** The records under test, empty. */
  records: RepositoryRecords;
  /** The records of another repository on the same backing store, empty. */
  other: RepositoryRecords;
  /** A second instance on `records`' data (as another server would open it). */
  reopen: () => RepositoryRecords;
  /** Removes what the fixture made. */
  cleanup: () => Promise<void>;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const ID_A = "00000000000000aa";
const ID_B = "00000000000000bb";
const ID_C = "0123456789abcdef";

/** Registers the suite for `name`; `ignore` skips it (with the reason printed by the caller). */
export function repositoryRecordsSuite(
  name: string,
  open: () => Promise<RecordsFixture>,
  options: { ignore?: boolean } = {},
): void {
  const test = (what: string, fn: (fixture: RecordsFixture) => Promise<void>) =>
    Deno.test({
      name: `${name} records: ${what}`,
      ignore: options.ignore ?? false,
      fn: async () => {
        const fixture = await open();
        try {
          await fn(fixture);
        } finally {
          await fixture.cleanup();
        }
      },
    });

  test("a key is stored once with createNew; a second is a CONFLICT", async ({ records }) => {
    assert.equal(await records.readKey("kdf1"), null);
    await records.writeKey("kdf1", bytes("first"), { createNew: true });
    await assert.rejects(
      records.writeKey("kdf1", bytes("second"), { createNew: true }),
      (error) => error instanceof BurrowError && error.code === "CONFLICT",
    );
    assert.deepEqual(await records.readKey("kdf1"), bytes("first"));
  });

  test("writeKey() without createNew replaces; removeKeysExcept() keeps one", async (f) => {
    await f.records.writeKey("kdf1", bytes("one"), { createNew: true });
    await f.records.writeKey("kdf1", bytes("uno"), { createNew: false });
    await f.records.writeKey("kdf2", bytes("two"), { createNew: false });
    assert.deepEqual(await f.reopen().readKey("kdf1"), bytes("uno"));
    await f.records.removeKeysExcept("kdf2");
    assert.equal(await f.records.readKey("kdf1"), null);
    assert.deepEqual(await f.records.readKey("kdf2"), bytes("two"));
  });

  test("snapshots are listed by id, seen by a second instance", async (f) => {
    await f.records.writeSnapshot(ID_C, bytes("c"));
    await f.records.writeSnapshot(ID_A, bytes("a"));
    const listing = await f.reopen().listSnapshots();
    assert.deepEqual(listing.snapshots.map((s) => s.id), [ID_A, ID_C]);
    assert.deepEqual(listing.snapshots[1]!.record, bytes("c"));
    assert.deepEqual(listing.unreadable, []);
  });

  test("writeSnapshot() of an existing id is a CONFLICT and keeps the first", async (f) => {
    await f.records.writeSnapshot(ID_A, bytes("first"));
    await assert.rejects(
      f.reopen().writeSnapshot(ID_A, bytes("second")),
      (error) => error instanceof BurrowError && error.code === "CONFLICT",
    );
    assert.deepEqual((await f.records.listSnapshots()).snapshots[0]!.record, bytes("first"));
  });

  test("writeSnapshot() refuses an invalid id", async ({ records }) => {
    await assert.rejects(records.writeSnapshot("../x", bytes("x")));
    assert.deepEqual((await records.listSnapshots()).snapshots, []);
  });

  test("forgetSnapshots() removes all or, with a missing id, none", async (f) => {
    await f.records.writeSnapshot(ID_A, bytes("a"));
    await f.records.writeSnapshot(ID_B, bytes("b"));
    await assert.rejects(f.records.forgetSnapshots([ID_A, ID_C]), NotFoundError);
    assert.equal((await f.records.listSnapshots()).snapshots.length, 2);
    await f.records.forgetSnapshots([ID_A, ID_B]);
    assert.deepEqual((await f.reopen().listSnapshots()).snapshots, []);
  });

  test("two repositories see none of each other's records", async (f) => {
    await f.records.writeSnapshot(ID_A, bytes("a"));
    await f.records.writeKey("kdf1", bytes("key"), { createNew: true });
    assert.deepEqual((await f.other.listSnapshots()).snapshots, []);
    assert.equal(await f.other.readKey("kdf1"), null);
    await f.other.writeKey("kdf1", bytes("other"), { createNew: true });
    await f.other.writeSnapshot(ID_A, bytes("other"));
    assert.deepEqual(await f.records.readKey("kdf1"), bytes("key"));
  });
}
