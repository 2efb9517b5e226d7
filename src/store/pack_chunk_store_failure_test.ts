import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
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
    await rejects(
      store.flush(),
      (e) => e instanceof StoreError && e.message === "Cannot store chunks: disk full",
    );
    await rejects(store.put(...chunks(1, 10)[0]!), StoreError, "disk full");
    await rejects(store.flush(), StoreError);
    for (const [id] of lost) ok(!store.has(id), "lost blobs are not reported stored");
    await rejects(store.get(lost[0]![0]), NotFoundError);
    deepStrictEqual(await store.get(first[0]![0]), first[0]![1]);
    equal(await countFiles(dir, ".pack.tmp"), 0, "no half-written pack is left");
    await rejects(store.close(), StoreError);
    await store.close();
    const again = await PackChunkStore.open(dir);
    equal(again.size, first.length);
    for (const [id, blob] of first) deepStrictEqual(await again.get(id), blob);
    equal(await countFiles(dir, ".pack"), 1);
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
    ok(syncFailed, "the first pack was sealed in the background");
    ok(error instanceof StoreError && /disk full/.test(error.message), String(error));
    await rejects(store.close(), StoreError);
    const again = await PackChunkStore.open(dir);
    equal(again.size, 0);
    equal(await countFiles(dir, ".pack") + await countFiles(dir, ".pack.tmp"), 0);
    await again.close();
  }));

/** A flushed store of 3 packs (6 blobs each); deleting `doomed` leaves 1 blob per pack. */
async function threePacks(dir: string, hooks: Partial<PackStoreHooks>) {
  const store = await PackChunkStore.open(dir, { packTargetBytes: 10_000, hooks });
  const all = chunks(18, 1700);
  for (const [id, blob] of all) await store.put(id, blob);
  await store.flush();
  equal(await countFiles(dir, ".idx"), 3);
  const doomed = all.filter((_, i) => i % 6 !== 0);
  const kept = all.filter((_, i) => i % 6 === 0);
  return { store, all, doomed, kept };
}

async function assertReopened(dir: string, present: Chunk[], absent: Chunk[]): Promise<void> {
  const store = await PackChunkStore.open(dir);
  equal(store.size, present.length);
  for (const [id, blob] of present) deepStrictEqual(await store.get(id), blob);
  for (const [id] of absent) ok(!store.has(id));
  equal(await countFiles(`${dir}/journal`, ""), 0, "the journal is resolved");
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
    await rejects(store.delete(doomed.map(([id]) => id)), StoreError, "simulated crash");
    for (const [id, blob] of all) deepStrictEqual(await store.get(id), blob);
    const extra = chunks(1, 10)[0]!;
    await store.put(...extra); // the store still works
    await store.close();
    await assertReopened(dir, [...all, extra], []);
  }));

Deno.test("delete() interrupted after its commit point completes at the next open", () =>
  inTempDir(async (dir) => {
    const { store, doomed, kept } = await threePacks(dir, throwAt("repack:committed"));
    await rejects(store.delete(doomed.map(([id]) => id)), StoreError, "simulated crash");
    await rejects(store.put(...chunks(1, 10)[0]!), StoreError, "simulated crash");
    for (const [id, blob] of kept) deepStrictEqual(await store.get(id), blob);
    await rejects(store.close(), StoreError);
    equal(await countFiles(`${dir}/journal`, ".repack"), 1);
    await assertReopened(dir, kept, doomed);
    equal(await countFiles(dir, ".pack"), 1, "kept blobs of 3 small packs went to one pack");
  }));

Deno.test("puts wait while too much is queued and all land", () =>
  inTempDir(async (dir) => {
    const store = await PackChunkStore.open(dir, { queueBytes: 1 << 20, packTargetBytes: 4 << 20 });
    const many = chunks(200, 100_000);
    let landed = 0;
    const puts = many.map(([id, blob]) => store.put(id, blob).then(() => landed++));
    // A put that need not wait is done within microtasks; one that waits needs a disk write.
    for (let tick = 0; tick < 20; tick++) await Promise.resolve();
    ok(landed > 0 && landed < many.length, `${landed} puts landed before any disk write`);
    await Promise.all(puts);
    await store.flush();
    for (const [id, blob] of many) deepStrictEqual(await store.get(id), blob);
    await store.close();
  }));

Deno.test("stores sharing a write budget: one failing leaves the others writing", () =>
  inTempDir(async (dir) => {
    const budget = new WriteBudget(64 * 1024);
    const broken = await PackChunkStore.open(`${dir}/a`, { budget, hooks: failingSync(1) });
    const healthy = await PackChunkStore.open(`${dir}/b`, { budget });
    for (const [id, blob] of chunks(5, 30_000)) await broken.put(id, blob);
    await rejects(broken.flush(), StoreError);
    const kept = chunks(20, 30_000); // 600 KB through a 64 KiB budget: puts wait their turn
    await Promise.all(kept.map(([id, blob]) => healthy.put(id, blob)));
    await healthy.flush();
    for (const [id, blob] of kept) deepStrictEqual(await healthy.get(id), blob);
    equal(budget.used, 0, "every queued byte was given back");
    await rejects(broken.close(), StoreError);
    await healthy.close();
  }));
