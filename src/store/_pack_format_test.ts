import assert from "node:assert/strict";
import fc from "fast-check";
import { IntegrityError } from "../errors.ts";
import {
  decodeIndex,
  encodeIndex,
  type IndexEntry,
  recordHeaderBytes,
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
  decodeIndex(bytes, "x.idx").forEach((ids, at, offset, length) => {
    entries.push({ id: ids.slice(at, at + 32), offset, length });
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
  const blob = crypto.getRandomValues(new Uint8Array(10));
  const headerBytes = recordHeaderBytes(2);
  const header = new Uint8Array(headerBytes);
  writeRecordHeader(header, 0, id, blob);
  const read = headerBytes + blob.length;
  verifyRecord(header, read, id, blob, "p", 2);
  assert.throws(() => verifyRecord(header, read - 1, id, blob, "p", 2), /truncated/);
  assert.throws(() => verifyRecord(header.subarray(0, 20), read, id, blob, "p", 2), /truncated/);
  const other = id.slice();
  other[31]! ^= 1;
  assert.throws(() => verifyRecord(header, read, other, blob, "p", 2), /another id/);
  assert.throws(
    () => verifyRecord(header, read + 2, id, new Uint8Array(12), "p", 2),
    (e) => e instanceof IntegrityError && /length 10 is not 12/.test(e.message),
  );
});

Deno.test("verifyRecord() checks a version 2 blob against its CRC, not a version 1 blob", () => {
  const id = crypto.getRandomValues(new Uint8Array(32));
  const blob = crypto.getRandomValues(new Uint8Array(1000));
  const header = new Uint8Array(recordHeaderBytes(2));
  writeRecordHeader(header, 0, id, blob);
  const flipped = blob.slice();
  flipped[500]! ^= 1;
  assert.throws(
    () => verifyRecord(header, header.length + 1000, id, flipped, "p", 2),
    (e) => e instanceof IntegrityError && /does not match its checksum/.test(e.message),
  );
  // Version 1: id and length only (its header is the first 36 bytes of the same layout).
  assert.equal(recordHeaderBytes(1), 36);
  verifyRecord(header.subarray(0, 36), 36 + 1000, id, flipped, "p", 1);
});

Deno.test("indexes say which pack version they list; both are read", () => {
  const pack = new Uint8Array(16).fill(3);
  const entries = [{ id: new Uint8Array(32).fill(7), offset: 8, length: 100 }];
  assert.equal(decodeIndex(encodeIndex(pack, entries), "a.idx").version, 2);
  assert.equal(decodeIndex(encodeIndex(pack, entries, 1), "a.idx").version, 1);
});

Deno.test("encodeIndex() keeps a pack hash in a version 3 index that decodeIndex() returns", () => {
  const pack = new Uint8Array(16).fill(4);
  const hash = crypto.getRandomValues(new Uint8Array(32));
  const entries = [{ id: new Uint8Array(32).fill(7), offset: 8, length: 100 }];
  const bytes = encodeIndex(pack, entries, 2, hash);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), "BRWIDX03");
  const index = decodeIndex(bytes, "a.idx");
  assert.equal(index.version, 2);
  assert.deepEqual(index.packHash, hash);
  assert.deepEqual(index.packId, pack);
  assert.deepEqual(decoded(bytes), entries);
  assert.equal(decodeIndex(encodeIndex(pack, entries), "a.idx").packHash, undefined);
  for (let i = 0; i < bytes.length; i++) {
    const damaged = bytes.slice();
    damaged[i]! ^= 0x40;
    assert.throws(() => decodeIndex(damaged, "a.idx"), IntegrityError, `byte ${i}`);
  }
  assert.throws(() => encodeIndex(pack, entries, 1, hash), RangeError);
  assert.throws(() => encodeIndex(pack, entries, 2, hash.subarray(1)), RangeError);
});
