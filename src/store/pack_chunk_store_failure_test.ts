import assert from "node:assert/strict";
import { NotFoundError, StoreError } from "../errors.ts";
import { PackChunkStore, type PackStoreHooks, WriteBudget } from "./pack_chunk_store.ts";
import { inTempDir } from "../../tests/_testing.ts";

type Chunk = [Uint8Array, Uint8Array];

function chunks(count: number, length: number): Chunk[] {
  return Array.from({ length: count }, (_, i) => [
    crypto.getRandomValues(new Uint8Array(32)),
    new Uint8Array(length).fill(i + 1),
  ]);
}

async function countFiles(dir: string, suffix: string): Promise<number> {
  let count = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) count += await countFiles(`${dir}/${entry.name}`, suffix);
    else if (entry.name.endsWith(suffix)) count++;
  }
  return count;
}

function diskFull(): Error {
  return Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
}

/** Hooks whose fsync fails from the `failFrom`-th call on (1-based). */
function failingSync(failFrom: number): Partial<PackStoreHooks> {
  let calls = 0;
  return {
    syncFile: (file) => ++calls >= failFrom ? Promise.reject(diskFull()) : file.sync(),
  };
}

Deno.test("a failed seal rejects flush() and later puts with StoreError, and reopen is consistent", () =>
  inTempDir(async (dir) => {
    const store = await PackChunkStore.open(dir, { hooks: failingSync(2) });
    const first = chunks(5, 1000);
    const lost = chunks(5, 2000);
    for (const [id, blob] of first) await store.put(id, blob);
    await store.flush();
    for (const [id, blob] of lost) await store.put(id, blob);
    await assert.rejects(
      store.flush(),
      (e) => e instanceof StoreError && e.message === "Cannot store chunks: disk full",
    );
    await assert.rejects(store.put(...chunks(1, 10)[0]!), StoreError, "disk full");
    await assert.rejects(store.flush(), StoreError);
    for (const [id] of lost) assert.ok(!store.has(id), "lost blobs are not reported stored");
    await assert.rejects(store.get(lost[0]![0]), NotFoundError);
    assert.deepEqual(await store.get(first[0]![0]), first[0]![1]);
    assert.equal(await countFiles(dir, ".pack.tmp"), 0, "no half-written pack is left");
    await assert.rejects(store.close(), StoreError);
    const again = await PackChunkStore.open(dir);
    assert.equal(again.size, first.length);
    for (const [id, blob] of first) assert.deepEqual(await again.get(id), blob);
    assert.equal(await countFiles(dir, ".pack"), 1);
    await again.close();
  }));

Deno.test("a background seal failure surfaces in later puts", () =>
  inTempDir(async (dir) => {
    let syncFailed = false;
    const store = await PackChunkStore.open(dir, {
      packTargetBytes: 50_000,
      hooks: {
        syncFile: () => {
          syncFailed = true;
          return Promise.reject(diskFull());
        },
      },
    });
    // Put one blob at a time, giving the background seal of the first pack turns to reach its
    // failing fsync, until a put reports the failure: no flush involved.
    const error = await (async () => {
      for (const [id, blob] of chunks(200, 10_000)) {
        await store.put(id, blob);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })().catch((e) => e);
    assert.ok(syncFailed, "the first pack was sealed in the background");
    assert.ok(error instanceof StoreError && /disk full/.test(error.message), String(error));
    await assert.rejects(store.close(), StoreError);
    const again = await PackChunkStore.open(dir);
    assert.equal(again.size, 0);
    assert.equal(await countFiles(dir, ".pack") + await countFiles(dir, ".pack.tmp"), 0);
    await again.close();
  }));

Deno.test("a second close() rethrows the failure of the first, not hides it", () =>
  inTempDir(async (dir) => {
    const store = await PackChunkStore.open(dir, { hooks: failingSync(1) });
    await store.put(...chunks(1, 1000)[0]!);
    const first = await store.close().then(() => undefined, (error) => error);
    assert.ok(first instanceof StoreError, `the first close failed: ${first}`);
    const second = await store.close().then(() => undefined, (error) => error);
    assert.equal(second, first, "the second close rejects with the same error");
  }));

/** A flushed store of 3 packs (6 blobs each); deleting `doomed` leaves 1 blob per pack. */
async function threePacks(dir: string, hooks: Partial<PackStoreHooks>) {
  const store = await PackChunkStore.open(dir, { packTargetBytes: 10_000, hooks });
  const all = chunks(18, 1700);
  for (const [id, blob] of all) await store.put(id, blob);
  await store.flush();
  assert.equal(await countFiles(dir, ".idx"), 3);
  const doomed = all.filter((_, i) => i % 6 !== 0);
  const kept = all.filter((_, i) => i % 6 === 0);
  return { store, all, doomed, kept };
}

async function assertReopened(dir: string, present: Chunk[], absent: Chunk[]): Promise<void> {
  const store = await PackChunkStore.open(dir);
  assert.equal(store.size, present.length);
  for (const [id, blob] of present) assert.deepEqual(await store.get(id), blob);
  for (const [id] of absent) assert.ok(!store.has(id));
  assert.equal(await countFiles(`${dir}/journal`, ""), 0, "the journal is resolved");
  await store.close();
}

function throwAt(step: string): Partial<PackStoreHooks> {
  return {
    checkpoint: (at) => {
      if (at === step) throw new Error(`simulated crash at ${at}`);
    },
  };
}

Deno.test("delete() interrupted before its commit point changes nothing", () =>
  inTempDir(async (dir) => {
    const { store, all, doomed } = await threePacks(dir, throwAt("repack:journaled"));
    await assert.rejects(store.delete(doomed.map(([id]) => id)), StoreError, "simulated crash");
    for (const [id, blob] of all) assert.deepEqual(await store.get(id), blob);
    const extra = chunks(1, 10)[0]!;
    await store.put(...extra); // the store still works
    await store.close();
    await assertReopened(dir, [...all, extra], []);
  }));

Deno.test("delete() interrupted after its commit point completes at the next open", () =>
  inTempDir(async (dir) => {
    const { store, doomed, kept } = await threePacks(dir, throwAt("repack:committed"));
    await assert.rejects(store.delete(doomed.map(([id]) => id)), StoreError, "simulated crash");
    await assert.rejects(store.put(...chunks(1, 10)[0]!), StoreError, "simulated crash");
    for (const [id, blob] of kept) assert.deepEqual(await store.get(id), blob);
    await assert.rejects(store.close(), StoreError);
    assert.equal(await countFiles(`${dir}/journal`, ".repack"), 1);
    await assertReopened(dir, kept, doomed);
    assert.equal(await countFiles(dir, ".pack"), 1, "kept blobs of 3 small packs went to one pack");
  }));

Deno.test("puts wait while too much is queued and all land", () =>
  inTempDir(async (dir) => {
    const store = await PackChunkStore.open(dir, { queueBytes: 1 << 20, packTargetBytes: 4 << 20 });
    const many = chunks(200, 100_000);
    let landed = 0;
    const puts = many.map(([id, blob]) => store.put(id, blob).then(() => landed++));
    // A put that need not wait is done within microtasks; one that waits needs a disk write.
    for (let tick = 0; tick < 20; tick++) await Promise.resolve();
    assert.ok(landed > 0 && landed < many.length, `${landed} puts landed before any disk write`);
    await Promise.all(puts);
    await store.flush();
    for (const [id, blob] of many) assert.deepEqual(await store.get(id), blob);
    await store.close();
  }));

Deno.test("stores sharing a write budget: one failing leaves the others writing", () =>
  inTempDir(async (dir) => {
    const budget = new WriteBudget(64 * 1024);
    const broken = await PackChunkStore.open(`${dir}/a`, { budget, hooks: failingSync(1) });
    const healthy = await PackChunkStore.open(`${dir}/b`, { budget });
    for (const [id, blob] of chunks(5, 30_000)) await broken.put(id, blob);
    await assert.rejects(broken.flush(), StoreError);
    const kept = chunks(20, 30_000); // 600 KB through a 64 KiB budget: puts wait their turn
    await Promise.all(kept.map(([id, blob]) => healthy.put(id, blob)));
    await healthy.flush();
    for (const [id, blob] of kept) assert.deepEqual(await healthy.get(id), blob);
    assert.equal(budget.used, 0, "every queued byte was given back");
    await assert.rejects(broken.close(), StoreError);
    await healthy.close();
  }));
