import assert from "node:assert/strict";
import fc from "fast-check";
import { IdHashSet } from "./id_hash_set.ts";

Deno.test("IdHashSet behaves like a Set of ids while it grows, also when ids share their first bytes", () => {
  const idArb = fc.tuple(fc.nat(3), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(
    ([prefix, id]) => id.fill(prefix, 0, 4), // few distinct first bytes: long probe runs
  );
  fc.assert(
    fc.property(fc.array(idArb, { maxLength: 300 }), (ids) => {
      const set = new IdHashSet();
      const model = new Set<string>();
      for (const id of ids) {
        assert.equal(set.has(id), model.has(id.toHex()));
        assert.equal(set.add(id), !model.has(id.toHex()));
        model.add(id.toHex());
      }
      assert.equal(set.size, model.size);
      for (const id of ids) assert.ok(set.has(id));
      assert.ok(!set.has(new Uint8Array(32).fill(9))); // first bytes 9: never generated
    }),
  );
});

Deno.test("IdHashSet.add() keeps a copy, so the caller may reuse its buffer", () => {
  const set = new IdHashSet();
  const id = new Uint8Array(32).fill(1);
  set.add(id);
  id.fill(2);
  assert.ok(set.has(new Uint8Array(32).fill(1)));
  assert.ok(!set.has(id));
});

Deno.test("IdHashSet refuses an id that is not 32 bytes", () => {
  const set = new IdHashSet();
  assert.throws(() => set.add(new Uint8Array(31)), RangeError);
  assert.throws(() => set.has(new Uint8Array(33)), RangeError);
});
