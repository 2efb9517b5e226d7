import assert from "node:assert/strict";
import { AppendOnlyError, QuotaExceededError } from "../errors.ts";
import { MemoryChunkStore } from "../store/memory_chunk_store.ts";
import { putWithinQuota, refuseIfAppendOnly } from "./account_limits.ts";
import { reportIgnored } from "../../tests/_postgres.ts";
import { sharedStoreMissing, sharedStoreTest } from "../../tests/_shared_store.ts";
import { makeChunks } from "../../tests/conformance/_chunk_data.ts";

function blob(length: number): { id: Uint8Array; blob: Uint8Array } {
  return { id: crypto.getRandomValues(new Uint8Array(32)), blob: new Uint8Array(length) };
}

Deno.test("putWithinQuota() counts batches other sessions are storing, so the quota holds", async () => {
  const chunks = new MemoryChunkStore();
  // Two sessions of one user send a batch at once; each fits alone, both would not.
  const first = putWithinQuota(chunks, [blob(600), blob(100)], 1000);
  const second = putWithinQuota(chunks, [blob(400)], 1000);
  assert.deepEqual(await first, { stored: 2, bytes: 700 });
  await assert.rejects(second, QuotaExceededError);
  assert.equal(chunks.storedBytes, 700);
  // Once the first is stored, only what is stored counts.
  assert.deepEqual(await putWithinQuota(chunks, [blob(300)], 1000), { stored: 1, bytes: 300 });
  await assert.rejects(putWithinQuota(chunks, [blob(1)], 1000), /quota exceeded: 1000 B of 1000 B/);
  assert.deepEqual(await putWithinQuota(chunks, [], 1000), { stored: 0, bytes: 0 });
  await chunks.close();
});

/** A store whose second put fails, as a full disk would. */
class FailingStore extends MemoryChunkStore {
  #puts = 0;
  override put(id: Uint8Array, blob: Uint8Array): Promise<boolean> {
    if (++this.#puts === 2) return Promise.reject(new Error("disk full"));
    return super.put(id, blob);
  }
}

Deno.test("putWithinQuota() releases what a failed batch held", async () => {
  const chunks = new FailingStore();
  await assert.rejects(putWithinQuota(chunks, [blob(300), blob(400), blob(200)], 1000), /full/);
  assert.equal(chunks.storedBytes, 300);
  assert.deepEqual(await putWithinQuota(chunks, [blob(700)], 1000), { stored: 1, bytes: 700 });
  await chunks.close();
});

Deno.test("refuseIfAppendOnly() refuses only an append-only account, naming the action", () => {
  refuseIfAppendOnly({ appendOnly: false, quota: null }, "forget snapshots");
  assert.throws(
    () => refuseIfAppendOnly({ appendOnly: true, quota: null }, "forget snapshots"),
    (e) =>
      e instanceof AppendOnlyError && e.code === "APPEND_ONLY" &&
      e.message === "Cannot forget snapshots: account is append-only",
  );
});

reportIgnored("account_limits_test.ts", sharedStoreMissing);

sharedStoreTest(
  "putWithinQuota() counts what another server stored in a shared index since it opened",
  async (shared) => {
    const a = await shared.open();
    const b = await shared.open();
    const chunks = makeChunks(8, () => 10_000);
    const blobs = chunks.map(([id, blob]) => ({ id, blob }));
    await putWithinQuota(a, blobs.slice(0, 6), 100_000);
    await a.flush();
    assert.equal(b.storedBytes, 0, "precondition: b opened before a stored");
    await assert.rejects(putWithinQuota(b, blobs.slice(6), 70_000), QuotaExceededError);
    assert.equal(b.has(chunks[6]![0]), false, "a refused batch stores nothing");
    await putWithinQuota(b, blobs.slice(6), 80_000);
    await Promise.all([a.close(), b.close()]);
  },
);
