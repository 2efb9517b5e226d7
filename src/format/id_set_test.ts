import assert from "node:assert/strict";
import { compareIds, IdSet } from "./id_set.ts";

const id = (seed: number) => crypto.getRandomValues(new Uint8Array(32)).fill(seed, 0, 1);

Deno.test("IdSet.has() finds every id given, sorted or not, and nothing else", () => {
  const ids = Array.from({ length: 500 }, (_, i) => id(i % 256));
  const absent = Array.from({ length: 500 }, () => id(7));
  const shuffled = IdSet.from(ids);
  const sorted = IdSet.from([...ids].sort(compareIds));
  for (const set of [shuffled, sorted]) {
    assert.equal(set.size, 500);
    for (const present of ids) assert.ok(set.has(present));
    for (const other of absent) assert.ok(!set.has(other));
  }
  assert.ok(!IdSet.from([]).has(ids[0]!));
});

Deno.test("IdSet.from() refuses an id that is not 32 bytes", () => {
  assert.throws(() => IdSet.from([new Uint8Array(31)]), RangeError);
});
