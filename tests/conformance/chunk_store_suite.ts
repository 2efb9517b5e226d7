/**
 * The conformance suite every `ChunkStore` implementation runs: `chunkStoreSuite("pack", open)`
 * registers one Deno test per promise of the contract in `src/store/chunk_store.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type Chunk,
  hex,
  logUniform,
  makeChunks,
  poolView,
  randomId,
  seededRandom,
} from "./_chunk_data.ts";
import { NotFoundError, StoreError } from "../../src/errors.ts";
import type { ChunkStore } from "../../src/store/chunk_store.ts";
import { IdSet } from "../../src/format/id_set.ts";

/** A fresh, empty store and how to get at its data again. */
export interface ChunkStoreFixture {
  /** The store under test, empty. */
  store: ChunkStore;
  /** Opens a second instance on the same data; absent for stores that do not persist. */
  reopen?: () => Promise<ChunkStore>;
  /**
   * In a separate process on the same data (the fixture's store closed first): puts `flushed`,
   * flushes, puts `unflushed`, then dies without closing. Absent for stores that do not persist.
   */
  crash?: (flushed: Chunk[], unflushed: Chunk[]) => Promise<void>;
  /** Number of files holding blobs, with the pack target size; absent when not file-based. */
  files?: { count: () => Promise<number>; targetBytes: number };
  /** Removes what the fixture created; called after every store is closed. */
  cleanup: () => Promise<void>;
}

type Body = (store: ChunkStore, fixture: ChunkStoreFixture) => Promise<void>;
type Register = (title: string, body: Body, needs?: "reopen" | "files") => void;

/** Options of `chunkStoreSuite`. */
export interface ChunkStoreSuiteOptions {
  /** False for stores that keep nothing across instances: reopen and crash tests are ignored. */
  persistent?: boolean;
  /** False for stores without files: the file-count test is ignored. */
  files?: boolean;
  /** True when the store cannot be reached here: every test is ignored (the reason is printed). */
  ignore?: boolean;
}

/**
 * Registers the conformance tests for one implementation.
 * @param name the implementation's name, prefixed to every test name ("pack ChunkStore: …").
 * @param open makes a fresh fixture per test; persistent stores give `reopen` and `crash`.
 */
export function chunkStoreSuite(
  name: string,
  open: () => Promise<ChunkStoreFixture>,
  options: ChunkStoreSuiteOptions = {},
): void {
  const ignored = { reopen: !(options.persistent ?? true), files: !(options.files ?? true) };
  const test: Register = (title, body, needs) =>
    Deno.test({
      name: `${name} ChunkStore: ${title}`,
      ignore: options.ignore === true || (needs !== undefined && ignored[needs]),
      fn: async () => runWithFixture(await open(), body),
    });
  registerBasics(test);
  registerConcurrency(test);
  registerDelete(test);
  registerPrune(test);
  registerListing(test);
  registerPersistence(test);
  registerDamage(test);
}

/** Runs `body`, then closes every store it opened and cleans up. */
async function runWithFixture(fixture: ChunkStoreFixture, body: Body): Promise<void> {
  const opened: ChunkStore[] = [fixture.store];
  const tracked: ChunkStoreFixture = { ...fixture };
  const reopen = fixture.reopen;
  if (reopen !== undefined) {
    tracked.reopen = async () => {
      const store = await reopen();
      opened.push(store);
      return store;
    };
  }
  try {
    await body(fixture.store, tracked);
  } finally {
    for (const store of opened) await store.close().catch(() => {});
    await fixture.cleanup();
  }
}

/**
 * Every id `store` lists, paging `limit` at a time from the last id of each page, as hex; checks
 * that each page but the last is full and says `more`.
 */
function listAll(store: ChunkStore, limit: number): string[] {
  const listed: string[] = [];
  let after: Uint8Array | undefined;
  for (;;) {
    const ids = pageOf(store, after, limit);
    listed.push(...ids.map(hex));
    if (!ids.more) return listed;
    assert.deepEqual(ids.length, limit, "a page that says more is full");
    after = ids.at(-1);
  }
}

/** One page of at most `limit` ids above `after`, each its own view, and whether more follow. */
function pageOf(
  store: ChunkStore,
  after: Uint8Array | undefined,
  limit: number,
): Uint8Array[] & { more: boolean } {
  // One id of room more than asked, filled with a marker, shows the store writes no further.
  const target = new Uint8Array((limit + 1) * 32).fill(0xee);
  const { count, more } = store.listInto(after, target.subarray(0, limit * 32));
  assert.ok(count <= limit);
  assert.deepEqual(target.subarray(limit * 32), new Uint8Array(32).fill(0xee));
  return Object.assign(idsOf(target.subarray(0, count * 32)), { more });
}

/** The ids back to back in `bytes`, one view each. */
function idsOf(bytes: Uint8Array): Uint8Array[] {
  assert.deepEqual(bytes.length % 32, 0);
  return Array.from({ length: bytes.length / 32 }, (_, i) => bytes.subarray(i * 32, i * 32 + 32));
}

/** Asserts that `store` holds exactly `chunks`. */
async function assertHolds(store: ChunkStore, chunks: Chunk[]): Promise<void> {
  assert.deepEqual(store.size, chunks.length);
  assert.deepEqual(store.storedBytes, chunks.reduce((sum, [, blob]) => sum + blob.length, 0));
  assert.deepEqual(store.damaged, 0);
  assert.deepEqual(listAll(store, 7), chunks.map(([id]) => hex(id)).sort());
  for (const [id, blob] of chunks) {
    assert.ok(store.has(id));
    assert.deepEqual(await store.get(id), blob);
    assert.deepEqual(store.lengthOf(id), blob.length);
    // Into its place in a larger buffer, as a reply gathering many blobs reads them.
    const reply = new Uint8Array(blob.length + 10).fill(0xee);
    await store.readInto(id, reply.subarray(7, 7 + blob.length));
    assert.deepEqual(reply.subarray(7, 7 + blob.length), blob);
    assert.deepEqual(
      [...reply.subarray(0, 7), ...reply.subarray(7 + blob.length)],
      Array(10).fill(0xee),
    );
  }
}

function registerBasics(test: Register): void {
  test("put() then has() and get() round trip, before and after flush()", async (store) => {
    const chunks = makeChunks(50, (i) => [0, 1, 37, 4096, 70_000, 1 << 20][i % 6]!);
    assert.ok(!store.has(chunks[0]![0]));
    for (const [id, blob] of chunks) assert.deepEqual(await store.put(id, blob), true);
    await assertHolds(store, chunks);
    await store.flush();
    await assertHolds(store, chunks);
  });

  test("put() is idempotent and keeps the first blob", async (store) => {
    const [id, blob] = makeChunks(1, () => 1000)[0]!;
    assert.deepEqual(await store.put(id, blob), true);
    assert.deepEqual(await store.put(id, new Uint8Array(5)), false);
    await store.flush();
    assert.deepEqual(await store.put(id, blob), false);
    await assertHolds(store, [[id, blob]]);
  });

  test("put() and get() copy: callers may reuse their buffers", async (store) => {
    const id = randomId();
    const blob = new Uint8Array([1, 2, 3, 4]);
    await store.put(id, blob);
    blob.fill(9);
    const got = await store.get(id);
    assert.deepEqual(got, new Uint8Array([1, 2, 3, 4]));
    got.fill(7);
    assert.deepEqual(await store.get(id), new Uint8Array([1, 2, 3, 4]));
  });

  test("prefetch() then readInto() in another order reads every blob whole, before and after flush(), and after a delete moved them", async (store) => {
    const chunks = makeChunks(60, (i) => [1, 37, 4096, 70_000, 300_000][i % 5]!);
    const readAll = async (order: Chunk[]) => {
      store.prefetch?.([randomId(), ...[...order].reverse().map(([id]) => id)]);
      for (const [id, blob] of order) {
        const target = new Uint8Array(blob.length);
        await store.readInto(id, target);
        assert.deepEqual(target, blob);
      }
    };
    for (const [id, blob] of chunks.slice(0, 30)) await store.put(id, blob);
    await store.flush();
    for (const [id, blob] of chunks.slice(30)) await store.put(id, blob);
    await readAll(chunks);
    await store.flush();
    await readAll(chunks);
    store.prefetch?.(chunks.map(([id]) => id));
    await store.delete(chunks.slice(0, 20).map(([id]) => id));
    await readAll(chunks.slice(20));
    await assertHolds(store, chunks.slice(20));
  });

  test("readInto() refuses a target of the wrong length; lengthOf() and readInto() of a missing id", async (store) => {
    const [id, blob] = makeChunks(1, () => 1000)[0]!;
    await store.put(id, blob);
    for (const flushed of [false, true]) {
      if (flushed) await store.flush();
      await assert.rejects(async () => await store.readInto(id, new Uint8Array(999)), RangeError);
      await assert.rejects(async () => await store.readInto(id, new Uint8Array(1001)), RangeError);
      const missing = randomId();
      assert.deepEqual(store.lengthOf(missing), undefined);
      await assert.rejects(
        async () => await store.readInto(missing, new Uint8Array(1)),
        NotFoundError,
      );
    }
    await assert.rejects(
      async () => await store.readInto(new Uint8Array(31), new Uint8Array(1)),
      RangeError,
    );
  });

  test("get() of a missing id throws NotFoundError", async (store) => {
    await assert.rejects(
      async () => await store.get(randomId()),
      (error) => error instanceof NotFoundError && error.message.includes("Cannot get chunk"),
    );
    await store.put(randomId(), new Uint8Array(3));
    await store.flush();
    await assert.rejects(async () => await store.get(randomId()), NotFoundError);
  });

  test("ids of the wrong length are RangeErrors", async (store) => {
    await assert.rejects(
      async () => await store.put(new Uint8Array(31), new Uint8Array(1)),
      RangeError,
    );
    await assert.rejects(async () => await store.get(new Uint8Array(33)), RangeError);
    let thrown: unknown;
    try {
      store.has(new Uint8Array(0));
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof RangeError);
  });

  test("close() is idempotent and later calls throw StoreError", async (store) => {
    await store.put(randomId(), new Uint8Array(10));
    await store.close();
    await store.close();
    await assert.rejects(
      async () => await store.put(randomId(), new Uint8Array(1)),
      (error) => error instanceof StoreError && error.message.includes("closed"),
    );
    await assert.rejects(
      async () => await store.readInto(randomId(), new Uint8Array(1)),
      (error) => error instanceof StoreError && error.message.includes("closed"),
    );
    let thrown: unknown;
    try {
      store.lengthOf(randomId());
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof StoreError);
    assert.throws(
      () => store.listInto(undefined, new Uint8Array(64)),
      (error) => error instanceof StoreError && error.message.includes("closed"),
    );
  });
}

function registerConcurrency(test: Register): void {
  test("1000 concurrent puts (with duplicates) all land once", async (store) => {
    const chunks = makeChunks(800, (i) => (i * 131) % 20_000);
    const calls = [...chunks, ...chunks.slice(0, 200)];
    const results = await Promise.all(calls.map(([id, blob]) => store.put(id, blob)));
    assert.deepEqual(results.filter((stored) => stored).length, 800);
    await assertHolds(store, chunks);
    await store.flush();
    await Promise.all(
      chunks.map(async ([id, blob]) => assert.deepEqual(await store.get(id), blob)),
    );
  });

  test("20,000 small blobs (1–64 KiB) end up in few files", async (store, fixture) => {
    const random = seededRandom(20_000);
    const ids: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < 20_000; i++) {
      const blob = poolView(logUniform(random, 1024, 65536), i);
      const id = randomId();
      ids.push(id);
      total += blob.length;
      await store.put(id, blob);
    }
    await store.flush();
    assert.deepEqual(store.size, 20_000);
    assert.deepEqual(store.storedBytes, total);
    const { count, targetBytes } = fixture.files!;
    const files = await count();
    assert.ok(files <= Math.ceil(total / targetBytes) + 1, `${files} files for ${total} bytes`);
    for (let i = 0; i < ids.length; i += 499) assert.ok((await store.get(ids[i]!)).length > 0);
  }, "files");
}

function registerDelete(test: Register): void {
  test("delete() removes blobs and keeps the others readable, across reopen", async (store, f) => {
    const chunks = makeChunks(60, (i) => (i % 5 === 0 ? 1 << 20 : 5000 + i));
    for (const [id, blob] of chunks) await store.put(id, blob);
    await store.flush();
    const doomed = chunks.filter((_, i) => i % 3 === 0 || (i >= 20 && i < 30));
    const kept = chunks.filter((chunk) => !doomed.includes(chunk));
    await store.delete([...doomed.map(([id]) => id), randomId()]);
    for (const [id] of doomed) {
      assert.ok(!store.has(id));
      await assert.rejects(async () => await store.get(id), NotFoundError);
    }
    await assertHolds(store, kept);
    const back = doomed[0]!;
    assert.deepEqual(await store.put(back[0], back[1]), true);
    if (f.reopen !== undefined) {
      await store.close();
      await assertHolds(await f.reopen(), [...kept, back]);
    }
  });

  test("delete() of blobs not yet flushed, and of every blob", async (store, f) => {
    const chunks = makeChunks(20, (i) => 100 * i);
    for (const [id, blob] of chunks) await store.put(id, blob);
    await store.delete(chunks.slice(0, 5).map(([id]) => id));
    await assertHolds(store, chunks.slice(5));
    await store.delete(chunks.map(([id]) => id));
    await assertHolds(store, []);
    if (f.reopen !== undefined) {
      await store.close();
      await assertHolds(await f.reopen(), []);
    }
  });
}

function registerPrune(test: Register): void {
  test(
    "prune() removes every blob not live, keeps the live ones, and a dry run changes nothing",
    async (store, f) => {
      const chunks = makeChunks(40, (i) => 3000 + 10 * i);
      for (const [id, blob] of chunks) await store.put(id, blob);
      await store.flush();
      const live = chunks.filter((_, i) => i % 4 !== 0);
      const dead = chunks.filter((chunk) => !live.includes(chunk));
      const liveSet = IdSet.from(live.map(([id]) => id));
      const dry = await store.prune(liveSet, { maxUnusedPercent: 0, dryRun: true });
      assert.equal(dry.blobsRemoved, dead.length);
      await assertHolds(store, chunks);
      const report = await store.prune(liveSet, { maxUnusedPercent: 0, dryRun: false });
      assert.equal(report.blobsRemoved, dead.length);
      assert.ok(report.bytesAfter < report.bytesBefore, JSON.stringify(report));
      for (const [id] of dead) assert.ok(!store.has(id));
      await assertHolds(store, live);
      if (f.reopen !== undefined) {
        await store.close();
        await assertHolds(await f.reopen(), live);
      }
    },
  );
}

function registerListing(test: Register): void {
  test("listInto() lists every id once, ascending, at any page size", async (store) => {
    assert.deepEqual(store.listInto(undefined, new Uint8Array(320)), { count: 0, more: false });
    const chunks = makeChunks(300, (i) => i % 50);
    for (const [id, blob] of chunks.slice(0, 200)) await store.put(id, blob);
    await store.flush();
    for (const [id, blob] of chunks.slice(200)) await store.put(id, blob); // not yet flushed
    const sorted = chunks.map(([id]) => hex(id)).sort();
    for (const limit of [1, 7, 299, 300, 1000]) assert.deepEqual(listAll(store, limit), sorted);
    const highest = Uint8Array.fromHex(sorted.at(-1)!);
    assert.deepEqual(store.listInto(highest, new Uint8Array(160)), { count: 0, more: false });
    // `after` need not be stored: the page starts at the next id above it.
    const between = Uint8Array.fromHex(sorted[10]!);
    between[31] = between[31]! ^ 1;
    const next = sorted.findIndex((id) => id > hex(between));
    assert.deepEqual(pageOf(store, between, 3).map(hex), sorted.slice(next, next + 3));
  });

  test("listInto() lists every id kept throughout exactly once while puts and deletes come between pages", async (store) => {
    const initial = makeChunks(400, (i) => 20 + (i % 100));
    for (const [id, blob] of initial) await store.put(id, blob);
    await store.flush();
    const random = seededRandom(14);
    const alive = initial.map(([id]) => id);
    const ever = new Set(alive.map(hex));
    const deleted = new Set<string>();
    const listed: string[] = [];
    let after: Uint8Array | undefined;
    for (let more = true; more;) {
      const page = pageOf(store, after, 25);
      listed.push(...page.map(hex));
      more = page.more;
      after = page.at(-1)?.slice() ?? after;
      const doomed = alive.splice(Math.floor(random() * (alive.length - 3)), 3);
      doomed.forEach((id) => deleted.add(hex(id)));
      await store.delete(doomed);
      for (const [id, blob] of makeChunks(3, () => 50)) {
        ever.add(hex(id));
        await store.put(id, blob);
      }
    }
    assert.deepEqual(listed, [...new Set(listed)].sort(), "ascending, each id once");
    for (const id of listed) assert.ok(ever.has(id), "only ids that were stored");
    const keptThroughout = initial.map(([id]) => hex(id)).filter((id) => !deleted.has(id));
    for (const id of keptThroughout) assert.ok(listed.includes(id), `id ${id} kept but not listed`);
  });

  test("listInto() refuses a page without room for an id, or an id of the wrong length", (store) => {
    for (const size of [0, 31]) {
      assert.throws(
        () => store.listInto(undefined, new Uint8Array(size)),
        (error) => error instanceof RangeError && error.message.includes("no room"),
      );
    }
    assert.throws(() => store.listInto(new Uint8Array(31), new Uint8Array(64)), RangeError);
    return Promise.resolve();
  });
}

function registerDamage(test: Register): void {
  test("markDamaged() sets blobs aside until a put stores them again", async (store) => {
    const chunks = makeChunks(6, (i) => 1000 + i);
    for (const [id, blob] of chunks) await store.put(id, blob);
    await store.flush();
    const [bad, worse] = [chunks[1]!, chunks[4]!];
    assert.equal(await store.markDamaged([bad[0], worse[0], randomId()]), 2);
    assert.equal(store.damaged, 2);
    assert.ok(!store.has(bad[0]) && store.lengthOf(bad[0]) === undefined);
    await assert.rejects(async () => await store.get(bad[0]), NotFoundError);
    assert.deepEqual(
      listAll(store, 4),
      chunks.filter((c) => c !== bad && c !== worse).map(([id]) => hex(id)).sort(),
    );
    assert.equal(await store.put(bad[0], bad[1]), true, "stored anew");
    assert.equal(store.damaged, 1);
    assert.deepEqual(await store.get(bad[0]), bad[1]);
  });

  test("markDamaged() lasts across a reopen; a put there heals it", async (store, f) => {
    const chunks = makeChunks(4, (i) => 2000 + i);
    for (const [id, blob] of chunks) await store.put(id, blob);
    await store.flush();
    await store.markDamaged([chunks[2]![0]]);
    await store.close();
    const again = await f.reopen!();
    assert.ok(!again.has(chunks[2]![0]));
    assert.equal(again.damaged, 1);
    await again.put(chunks[2]![0], chunks[2]![1]);
    await again.close();
    const third = await f.reopen!();
    assert.equal(third.damaged, 0);
    await assertHolds(third, chunks);
  }, "reopen");
}

function registerPersistence(test: Register): void {
  test("flush() then reopen keeps everything", async (store, f) => {
    const chunks = makeChunks(300, (i) => (i * 977) % 70_000);
    for (const [id, blob] of chunks) await store.put(id, blob);
    await store.flush();
    // One store per folder per process: the second instance opens once the first has closed.
    await store.close();
    const again = await f.reopen!();
    await assertHolds(again, chunks);
    await again.close();
    await assertHolds(await f.reopen!(), chunks);
  }, "reopen");

  test("a crash keeps flushed blobs and only whole unflushed ones", async (store, f) => {
    await store.close();
    const flushed = makeChunks(100, (i) => 1000 + i * 50);
    const unflushed = makeChunks(200, (i) => 3000 + i * 100);
    await f.crash!(flushed, unflushed);
    const again = await f.reopen!();
    for (const [id, blob] of flushed) assert.deepEqual(await again.get(id), blob);
    let survived = 0;
    for (const [id, blob] of unflushed) {
      if (!again.has(id)) continue;
      survived++;
      assert.deepEqual(await again.get(id), blob);
    }
    assert.deepEqual(again.size, flushed.length + survived);
    assert.deepEqual(again.damaged, 0, "a crash damages nothing");
    await again.put(unflushed[0]![0], unflushed[0]![1]);
    await again.flush();
  }, "reopen");
}
