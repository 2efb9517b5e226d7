import assert from "node:assert/strict";
import fc from "fast-check";
import { ChunkIndex } from "./_chunk_index.ts";

/** Ids that share their first 8 bytes (so only their tails order them) unless `spread`. */
const idArb = fc.tuple(fc.boolean(), fc.uint8Array({ minLength: 24, maxLength: 24 })).map(
  ([spread, tail]) => {
    const id = new Uint8Array(32);
    id.set(tail, 8);
    if (spread) id[0] = tail[0]! | 1;
    return id;
  },
);

const key = (id: Uint8Array) => Array.from(id).join(",");

Deno.test("ChunkIndex behaves like a Map, also when ids share their first bytes", () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant("add" as const), id: idArb, length: fc.nat(1000) }),
    fc.record({ kind: fc.constant("remove" as const), id: idArb }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const index = new ChunkIndex();
      const model = new Map<string, number>();
      ops.forEach((step, n) => {
        const slot = index.find(step.id);
        assert.equal(slot >= 0, model.has(key(step.id)));
        if (step.kind === "add" && slot >= 0) {
          assert.equal(
            index.add(step.id, n, n * 10, step.length),
            -1,
            "an id present is not added",
          );
        } else if (step.kind === "add") {
          index.add(step.id, n, n * 10, step.length);
          model.set(key(step.id), n);
        } else if (step.kind === "remove" && slot >= 0) {
          index.remove(slot);
          model.delete(key(step.id));
        }
      });
      assert.equal(index.count, model.size);
      for (const [k, n] of model) {
        const id = Uint8Array.from(k.split(",").map(Number));
        const slot = index.find(id);
        assert.equal(index.packOf(slot), n);
        assert.equal(index.offsetOf(slot), n * 10);
        assert.deepEqual(index.idOf(slot), id);
      }
      assert.deepEqual(
        [...index.slots()].map((s) => key(index.idOf(s))).sort(),
        [...model.keys()].sort(),
      );
      const listed = new Uint8Array(index.count * 32);
      assert.deepEqual(index.copyIdsAfter(undefined, listed), { count: index.count, more: false });
      assert.deepEqual(
        Array.from({ length: index.count }, (_, i) => listed.slice(i * 32, i * 32 + 32).toHex()),
        [...index.slots()].map((s) => index.idOf(s).toHex()).sort(),
      );
    }),
  );
});

Deno.test("ChunkIndex finds ids inside a larger buffer and tracks bytes", () => {
  const buffer = crypto.getRandomValues(new Uint8Array(64));
  const index = new ChunkIndex();
  index.add(buffer, 3, 8, 100, 16);
  assert.equal(index.find(buffer.slice(16, 48)), 0);
  assert.equal(index.find(buffer, 16), 0);
  assert.equal(index.find(buffer, 0), -1);
  assert.equal(index.bytes, 100);
  index.move(0, 4, 99);
  assert.equal(index.packOf(0), 4);
  assert.equal(index.offsetOf(0), 99);
  index.remove(0);
  assert.equal(index.bytes, 0);
  assert.equal(index.find(buffer, 16), -1);
});

Deno.test("ChunkIndex.orderAppended() orders appended entries and keeps the first of equal ids", async () => {
  const index = new ChunkIndex();
  const unique = Array.from({ length: 10_000 }, () => crypto.getRandomValues(new Uint8Array(32)));
  unique.forEach((id, n) => index.append(id, n, n * 10, 100));
  unique.slice(0, 500).forEach((id, n) => index.append(id, 99_999, n, 7)); // loaded again
  assert.equal(index.find(unique[0]!), -1, "not found before it is ordered");
  await index.orderAppended(() => Promise.resolve());
  assert.equal(index.count, unique.length);
  assert.equal(index.bytes, unique.length * 100);
  unique.forEach((id, n) => {
    const slot = index.find(id);
    assert.deepEqual([index.packOf(slot), index.offsetOf(slot)], [n, n * 10]);
  });
  const listed = new Uint8Array(unique.length * 32);
  assert.deepEqual(index.copyIdsAfter(undefined, listed), { count: unique.length, more: false });
  assert.deepEqual(
    Array.from({ length: unique.length }, (_, i) => listed.slice(i * 32, i * 32 + 32).toHex()),
    unique.map((id) => id.toHex()).sort(),
  );
  // Ordered entries and added ones live together from now on.
  const extra = crypto.getRandomValues(new Uint8Array(32));
  assert.ok(index.add(extra, 1, 2, 3) >= 0);
  index.remove(index.find(unique[1]!));
  assert.equal(index.count, unique.length);
  assert.equal(index.find(unique[1]!), -1);
  assert.ok(index.find(extra) >= 0);
  await assert.rejects(() => index.orderAppended(() => Promise.resolve()), RangeError);
});

Deno.test("ChunkIndex.release() empties the index and frees its buffers, and it can be filled again", async () => {
  const index = new ChunkIndex();
  const ids = Array.from({ length: 5000 }, (_, n) => {
    const id = crypto.getRandomValues(new Uint8Array(32));
    index.append(id, 1, n, 10);
    return id;
  });
  await index.orderAppended(() => Promise.resolve());
  const page = new Uint8Array(32 * 10);
  assert.equal(index.copyIdsAfter(undefined, page).count, 10);
  index.release();
  assert.deepEqual([index.count, index.bytes, index.find(ids[0]!)], [0, 0, -1]);
  assert.deepEqual(index.copyIdsAfter(undefined, page), { count: 0, more: false });
  const slot = index.add(ids[1]!, 2, 0, 7);
  assert.deepEqual([index.find(ids[1]!), index.lengthOf(slot), index.count], [slot, 7, 1]);
});
