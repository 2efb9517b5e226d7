import { deepStrictEqual, equal } from "node:assert/strict";
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
        equal(slot >= 0, model.has(key(step.id)));
        if (step.kind === "add" && slot >= 0) {
          equal(index.add(step.id, n, n * 10, step.length), -1, "an id present is not added");
        } else if (step.kind === "add") {
          index.add(step.id, n, n * 10, step.length);
          model.set(key(step.id), n);
        } else if (step.kind === "remove" && slot >= 0) {
          index.remove(slot);
          model.delete(key(step.id));
        }
      });
      equal(index.count, model.size);
      for (const [k, n] of model) {
        const id = Uint8Array.from(k.split(",").map(Number));
        const slot = index.find(id);
        equal(index.packOf(slot), n);
        equal(index.offsetOf(slot), n * 10);
        deepStrictEqual(index.idOf(slot), id);
      }
      deepStrictEqual(
        [...index.slots()].map((s) => key(index.idOf(s))).sort(),
        [...model.keys()].sort(),
      );
      const listed = new Uint8Array(index.count * 32);
      deepStrictEqual(index.copyIdsAfter(undefined, listed), { count: index.count, more: false });
      deepStrictEqual(
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
  equal(index.find(buffer.slice(16, 48)), 0);
  equal(index.find(buffer, 16), 0);
  equal(index.find(buffer, 0), -1);
  equal(index.bytes, 100);
  index.move(0, 4, 99);
  equal(index.packOf(0), 4);
  equal(index.offsetOf(0), 99);
  index.remove(0);
  equal(index.bytes, 0);
  equal(index.find(buffer, 16), -1);
});
