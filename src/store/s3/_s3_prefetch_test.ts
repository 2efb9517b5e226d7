import assert from "node:assert/strict";
import { PackPrefetch, type PlannedRead } from "./_s3_prefetch.ts";

const MiB = 1024 * 1024;

/** Objects whose byte at offset i is i % 251, with every fetch recorded and held until released. */
function objects() {
  const calls: { key: string; offset: number; length: number }[] = [];
  let running = 0;
  let most = 0;
  const gates: (() => void)[] = [];
  const fetch = async (key: string, offset: number, length: number) => {
    calls.push({ key, offset, length });
    most = Math.max(most, ++running);
    await new Promise<void>((resolve) => gates.push(resolve));
    running--;
    if (key === "broken") throw new Error("GET failed");
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = (offset + i) % 251;
    return bytes;
  };
  const releaseAll = async () => {
    while (gates.length > 0) {
      gates.splice(0).forEach((open) => open());
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  return { fetch, calls, releaseAll, most: () => most };
}

const read = (pack: number, offset: number, need: number): PlannedRead => ({
  pack,
  key: `pack-${pack}`,
  offset,
  need,
});

Deno.test("prefetch: neighbouring records of one pack come with one GET, other packs with their own", async () => {
  const store = objects();
  const ahead = new PackPrefetch(store.fetch);
  ahead.plan([read(1, 5000, 100), read(2, 0, 50), read(1, 8, 1000), read(1, 1100, 200)]);
  const taken = Promise.all([ahead.take(1, 1100, 200), ahead.take(2, 0, 50)]);
  await store.releaseAll();
  assert.deepEqual(store.calls, [
    { key: "pack-1", offset: 8, length: 5092 },
    { key: "pack-2", offset: 0, length: 50 },
  ]);
  const [first, second] = await taken;
  assert.deepEqual(first, Uint8Array.from({ length: 200 }, (_, i) => (1100 + i) % 251));
  assert.deepEqual(second?.length, 50);
});

Deno.test("prefetch: records far apart are fetched apart, at most four GETs at once", async () => {
  const store = objects();
  const ahead = new PackPrefetch(store.fetch);
  ahead.plan(Array.from({ length: 10 }, (_, i) => read(1, i * 4 * MiB, 1000)));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(store.calls.length, 4);
  await store.releaseAll();
  assert.deepEqual(store.calls.length, 10);
  assert.deepEqual(store.most(), 4);
});

Deno.test("prefetch: a span is dropped once its records were taken, and a record not planned is the caller's", async () => {
  const store = objects();
  const ahead = new PackPrefetch(store.fetch);
  ahead.plan([read(1, 0, 100), read(1, 100, 100)]);
  const both = Promise.all([ahead.take(1, 0, 100), ahead.take(1, 100, 100)]);
  await store.releaseAll();
  await both;
  assert.deepEqual(ahead.heldBytes, 0);
  assert.deepEqual(await ahead.take(1, 0, 100), undefined);
});

Deno.test("prefetch: a failed GET serves nothing, and held bytes stay under the bound", async () => {
  const store = objects();
  const ahead = new PackPrefetch(store.fetch);
  ahead.plan([{ pack: 7, key: "broken", offset: 0, need: 10 }]);
  const taken = ahead.take(7, 0, 10);
  await store.releaseAll();
  assert.deepEqual(await taken, undefined);
  ahead.plan(Array.from({ length: 10 }, (_, i) => read(2, i * 16 * MiB, 8 * MiB)));
  assert.deepEqual(ahead.heldBytes <= 32 * MiB, true);
  ahead.forget(2);
  assert.deepEqual(ahead.heldBytes, 0);
  await store.releaseAll();
});
