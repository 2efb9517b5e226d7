import assert from "node:assert/strict";
import fc from "fast-check";
import { seededRandom } from "../protocol/_test_util.ts";
import { IdOrder, LEAF_SIZE } from "./_id_order.ts";

/** Slot ids in one buffer, as the chunk index keeps them; `sameHead` gives every id one prefix. */
function idsOf(count: number, random: () => number, sameHead: boolean): Uint8Array {
  const ids = new Uint8Array(count * 32);
  for (let i = 0; i < ids.length; i++) ids[i] = Math.floor(random() * 256);
  if (sameHead) { for (let at = 0; at < ids.length; at += 32) ids.fill(7, at, at + 4); }
  return ids;
}

const hexAt = (ids: Uint8Array, slot: number) => ids.subarray(slot * 32, slot * 32 + 32).toHex();

/** Every id of `order`, paging `limit` at a time, as hex. */
function listed(order: IdOrder, limit: number): string[] {
  const out: string[] = [];
  const target = new Uint8Array(limit * 32);
  let after: Uint8Array | undefined;
  for (;;) {
    const { count, more } = order.copyAfter(after, target);
    for (let i = 0; i < count; i++) out.push(target.subarray(i * 32, i * 32 + 32).toHex());
    if (!more) return out;
    after = target.slice((count - 1) * 32, count * 32);
  }
}

for (const sameHead of [false, true]) {
  const what = sameHead ? "ids that share their first 4 bytes" : "random ids";
  Deno.test(`IdOrder keeps ${what} sorted through inserts and removes, splitting and merging leaves`, () => {
    const random = seededRandom(sameHead ? 2 : 1);
    const count = 5000;
    const ids = idsOf(count, random, sameHead);
    const order = new IdOrder();
    const present = new Set<number>();
    const check = () => {
      const expected = [...present].map((slot) => hexAt(ids, slot)).sort();
      assert.deepEqual(listed(order, 777), expected);
      for (let slot = 0; slot < count; slot += 37) {
        assert.equal(order.find(ids, slot * 32), present.has(slot) ? slot : -1);
      }
    };
    for (let slot = 0; slot < count; slot++) {
      order.insert(ids, slot * 32, slot);
      present.add(slot);
    }
    check();
    // Remove most, in random order, so leaves empty and merge; then add some back.
    for (const slot of [...present].sort(() => random() - 0.5).slice(0, 4500)) {
      order.remove(ids, slot * 32);
      present.delete(slot);
    }
    check();
    for (let slot = 0; slot < count; slot += 3) {
      if (present.has(slot)) continue;
      order.insert(ids, slot * 32, slot);
      present.add(slot);
    }
    check();
  });
}

Deno.test("IdOrder matches a sorted model under any sequence of operations", () => {
  const op = fc.record({ insert: fc.boolean(), slot: fc.nat(63) });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), fc.boolean(), (ops, sameHead) => {
      const ids = idsOf(64, seededRandom(ops.length), sameHead);
      const order = new IdOrder();
      const present = new Set<number>();
      for (const { insert, slot } of ops) {
        if (insert) {
          assert.equal(
            order.insert(ids, slot * 32, slot),
            !present.has(slot),
            "false when present",
          );
          present.add(slot);
        } else {
          order.remove(ids, slot * 32);
          present.delete(slot);
        }
      }
      const expected = [...present].map((slot) => hexAt(ids, slot)).sort();
      assert.deepEqual(listed(order, 5), expected);
    }),
  );
});

Deno.test("IdOrder.copyAfter() starts above an id that is not in the order, and says when none follow", () => {
  const ids = new Uint8Array(3 * 32);
  [10, 20, 30].forEach((first, slot) => ids[slot * 32] = first);
  const order = new IdOrder();
  for (const slot of [2, 0, 1]) order.insert(ids, slot * 32, slot);
  const target = new Uint8Array(2 * 32);
  const probe = new Uint8Array(32);
  probe[0] = 15;
  assert.deepEqual(order.copyAfter(probe, target), { count: 2, more: false });
  assert.deepEqual([target[0], target[32]], [20, 30]);
  assert.deepEqual(order.copyAfter(undefined, target), { count: 2, more: true });
  probe[0] = 30;
  assert.deepEqual(order.copyAfter(probe, target), { count: 0, more: false });
});

Deno.test("IdOrder.adopt() takes sorted ids as its leaves, which later inserts split", () => {
  const random = seededRandom(3);
  const count = 3000;
  const ids = idsOf(count, random, false);
  const sorted = Array.from({ length: count }, (_, slot) => slot).sort((a, b) =>
    hexAt(ids, a) < hexAt(ids, b) ? -1 : 1
  );
  const even = sorted.filter((slot) => slot % 2 === 0);
  const room = Math.ceil(even.length / LEAF_SIZE) * LEAF_SIZE;
  const adopted = { ids: new Uint8Array(room * 32), slots: new Int32Array(room) };
  even.forEach((slot, i) => {
    adopted.ids.set(ids.subarray(slot * 32, slot * 32 + 32), i * 32);
    adopted.slots[i] = slot;
  });
  const order = new IdOrder();
  const odd = { ids: new Uint8Array(LEAF_SIZE * 32 + 32), slots: new Int32Array(LEAF_SIZE + 1) };
  assert.throws(() => order.adopt(odd, 1), RangeError, "room in whole leaves only");
  order.adopt(adopted, even.length);
  assert.throws(() => order.adopt(adopted, even.length), RangeError, "only into an empty order");
  for (const slot of sorted.filter((slot) => slot % 2 === 1)) order.insert(ids, slot * 32, slot);
  assert.deepEqual(listed(order, 1000), sorted.map((slot) => hexAt(ids, slot)));
  for (const slot of sorted) assert.equal(order.find(ids, slot * 32), slot);
});
