import assert from "node:assert/strict";
import fc from "fast-check";
import { IntegrityError } from "../errors.ts";
import {
  decodeIndex,
  encodeIndex,
  type IndexEntry,
  RECORD_HEADER_BYTES,
  verifyRecord,
  writeRecordHeader,
} from "./_pack_format.ts";

const entryArb = fc.record({
  id: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  offset: fc.integer({ min: 0, max: 2 ** 40 }),
  length: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
});

function decoded(bytes: Uint8Array): IndexEntry[] {
  const entries: IndexEntry[] = [];
  decodeIndex(bytes, "x.idx").forEach((id, offset, length) => {
    entries.push({ id: id.slice(), offset, length });
  });
  return entries;
}

Deno.test("encodeIndex() and decodeIndex() round trip", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.array(entryArb),
      (pack, entries) => {
        const bytes = encodeIndex(pack, entries);
        assert.equal(bytes.length, 8 + 16 + 4 + entries.length * 44 + 32);
        assert.deepEqual(decodeIndex(bytes, "x.idx").packId, pack);
        assert.deepEqual(decoded(bytes), entries.map((entry) => ({ ...entry })));
      },
    ),
  );
});

Deno.test("decodeIndex() detects every flipped byte and every cut, naming the file", () => {
  const entries = [{ id: new Uint8Array(32).fill(7), offset: 8, length: 100 }];
  const bytes = encodeIndex(new Uint8Array(16).fill(1), entries);
  for (let i = 0; i < bytes.length; i++) {
    const damaged = bytes.slice();
    damaged[i]! ^= 0x40;
    assert.throws(
      () => decodeIndex(damaged, "dir/a.idx"),
      (e) => e instanceof IntegrityError && e.message.includes('"dir/a.idx"'),
    );
  }
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.throws(() => decodeIndex(bytes.subarray(0, cut), "a.idx"), IntegrityError);
  }
});

Deno.test("verifyRecord() accepts the right record and refuses others", () => {
  const id = crypto.getRandomValues(new Uint8Array(32));
  const record = new Uint8Array(RECORD_HEADER_BYTES + 10);
  writeRecordHeader(record, 0, id, 10);
  verifyRecord(record, record.length, id, 10, "p");
  assert.throws(() => verifyRecord(record, record.length, id, 11, "p"), /truncated/);
  assert.throws(() => verifyRecord(record, 40, id, 10, "p"), /truncated/);
  assert.throws(() => verifyRecord(record.subarray(0, 20), 46, id, 10, "p"), /truncated/);
  // The header alone, with the count of header and blob bytes read elsewhere.
  verifyRecord(record.subarray(0, RECORD_HEADER_BYTES), RECORD_HEADER_BYTES + 10, id, 10, "p");
  const other = id.slice();
  other[31]! ^= 1;
  assert.throws(() => verifyRecord(record, record.length, other, 10, "p"), /another id/);
  const longer = new Uint8Array(RECORD_HEADER_BYTES + 12);
  writeRecordHeader(longer, 0, id, 12);
  assert.throws(
    () => verifyRecord(longer, longer.length, id, 10, "p"),
    (e) => e instanceof IntegrityError && /length 12/.test(e.message),
  );
  assert.ok(true);
});
