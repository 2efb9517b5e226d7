import assert from "node:assert/strict";
import { compareIds, IdSet, IdSetBuilder } from "./id_set.ts";

const id = (seed: number) => crypto.getRandomValues(new Uint8Array(32)).fill(seed, 0, 1);
const joined = (ids: Uint8Array[]) => {
  const all = new Uint8Array(ids.length * 32);
  ids.forEach((one, i) => all.set(one, i * 32));
  return all;
};

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
  assert.equal(IdSet.from([ids[0]!, ids[0]!.slice()]).size, 1);
});

Deno.test("IdSet.from() refuses an id that is not 32 bytes", () => {
  assert.throws(() => IdSet.from([new Uint8Array(31)]), RangeError);
});

Deno.test("IdSetBuilder.append() builds one shared buffer from ascending pages", () => {
  const ids = Array.from({ length: 300 }, (_, i) => id(i % 256)).sort(compareIds);
  const builder = new IdSetBuilder();
  builder.append(joined(ids.slice(0, 100)));
  builder.append(new Uint8Array(0));
  builder.append(joined(ids.slice(100)));
  const set = builder.finish();
  assert.ok(set.shared.buffer instanceof SharedArrayBuffer);
  assert.equal(set.size, 300);
  assert.deepEqual(new Uint8Array(set.shared.buffer, 0, 300 * 32), joined(ids));
  for (const one of ids) assert.ok(set.has(one));
  assert.throws(() => builder.append(joined([id(255)])), RangeError);
});

Deno.test("IdSetBuilder.append() refuses ids out of order, repeated or cut, and keeps the rest", () => {
  const [a, b, c] = [id(1), id(2), id(3)];
  const builder = new IdSetBuilder();
  builder.append(joined([a, b]));
  assert.throws(() => builder.append(joined([b, c])), RangeError); // repeats the last id
  assert.throws(() => builder.append(joined([c, c])), RangeError); // repeats inside the page
  assert.throws(() => builder.append(joined([a])), RangeError); // below the last id
  assert.throws(() => builder.append(new Uint8Array(33)), RangeError);
  builder.append(joined([c]));
  const set = builder.finish();
  assert.equal(set.size, 3);
  for (const one of [a, b, c]) assert.ok(set.has(one));
});

Deno.test("IdSet.fromShared() reads the same memory in a worker, not a copy", async () => {
  const ids = Array.from({ length: 1000 }, (_, i) => id(i % 256));
  const set = IdSet.from(ids);
  const worker = new Worker(new URL("./testdata/id_set_worker.ts", import.meta.url), {
    type: "module",
  });
  const replies: { has: boolean; shared: boolean }[] = [];
  let wake = () => {};
  worker.onmessage = (event) => {
    replies.push(event.data);
    wake();
  };
  const ask = (one: Uint8Array) => {
    const answered = new Promise<void>((resolve) => wake = resolve);
    worker.postMessage({ id: one });
    return answered.then(() => replies.at(-1)!);
  };
  try {
    worker.postMessage({ shared: set.shared });
    assert.deepEqual(await ask(ids[10]!), { has: true, shared: true });
    const zero = new Uint8Array(32);
    assert.deepEqual(await ask(zero), { has: false, shared: true });
    // Overwrite the lowest id with zeros in place (still the lowest, so the order holds): only a
    // worker reading the same memory sees the change.
    const lowest = new Uint8Array(set.shared.buffer, 0, 32);
    const replaced = lowest.slice();
    lowest.fill(0);
    assert.deepEqual(await ask(zero), { has: true, shared: true });
    assert.deepEqual(await ask(replaced), { has: false, shared: true });
  } finally {
    worker.terminate();
  }
});

Deno.test("IdSet.fromShared() refuses a size the buffer cannot hold", () => {
  const buffer = new SharedArrayBuffer(64);
  assert.equal(IdSet.fromShared({ buffer, size: 2 }).size, 2);
  assert.throws(() => IdSet.fromShared({ buffer, size: 3 }), RangeError);
  assert.throws(() => IdSet.fromShared({ buffer, size: -1 }), RangeError);
});
