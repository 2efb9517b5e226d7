import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { decodeIndex } from "./_pack_format.ts";
import { IdSet } from "../format/id_set.ts";
import { filesEnding, inTempDir } from "../../tests/_testing.ts";
import { PackChunkStore } from "./pack_chunk_store.ts";

/** Three sealed packs of ten 1000-byte blobs each (ids: pack p, blob b → bytes [p, b, …]). */
async function threePacks(dir: string): Promise<{ store: PackChunkStore; ids: Uint8Array[][] }> {
  const store = await PackChunkStore.open(dir, { packTargetBytes: 10 * 1040 });
  const ids: Uint8Array[][] = [];
  for (let p = 0; p < 3; p++) {
    ids.push([]);
    for (let b = 0; b < 10; b++) {
      const id = new Uint8Array(32).fill(0);
      id[0] = p;
      id[1] = b;
      ids[p]!.push(id);
      await store.put(id, new Uint8Array(1000).fill(p * 10 + b));
    }
    await store.flush();
  }
  return { store, ids };
}

Deno.test("PackChunkStore.prune() deletes dead packs, rewrites packs over the threshold, keeps the rest", () =>
  inTempDir(async (dir) => {
    const { store, ids } = await threePacks(dir);
    assert.equal((await filesEnding(dir, ".pack")).length, 3);
    // Pack 0: all dead. Pack 1: one dead of ten (~10% unused). Pack 2: five dead (50%).
    const live = IdSet.from([...ids[1]!.slice(1), ...ids[2]!.slice(5)]);
    const report = await store.prune(live, { maxUnusedPercent: 20, dryRun: false });
    assert.equal(report.packsBefore, 3);
    assert.equal(report.packsDeleted, 1);
    assert.equal(report.packsRewritten, 1);
    assert.equal(report.blobsRemoved, 15);
    assert.equal(report.packsAfter, 2);
    assert.ok(report.unusedBytesKept >= 1000, `${report.unusedBytesKept}`);
    assert.equal((await filesEnding(dir, ".pack")).length, 2);
    // The dead blob of pack 1 stays stored (under the threshold); the others are gone.
    assert.ok(store.has(ids[1]![0]!));
    assert.ok(!store.has(ids[0]![3]!) && !store.has(ids[2]![0]!));
    await store.close();
    const again = await PackChunkStore.open(dir);
    for (let b = 5; b < 10; b++) {
      assert.deepEqual(await again.get(ids[2]![b]!), new Uint8Array(1000).fill(20 + b));
    }
    assert.equal(again.size, 15);
    await again.close();
  }));

Deno.test("PackChunkStore.prune() with dryRun estimates the same result and changes nothing", () =>
  inTempDir(async (dir) => {
    const { store, ids } = await threePacks(dir);
    const live = IdSet.from([...ids[1]!.slice(1), ...ids[2]!.slice(5)]);
    const dry = await store.prune(live, { maxUnusedPercent: 20, dryRun: true });
    assert.equal(store.size, 30);
    assert.equal((await filesEnding(dir, ".pack")).length, 3);
    const real = await store.prune(live, { maxUnusedPercent: 20, dryRun: false });
    assert.deepEqual(
      [dry.packsDeleted, dry.packsRewritten, dry.blobsRemoved, dry.packsAfter, dry.bytesAfter],
      [real.packsDeleted, real.packsRewritten, real.blobsRemoved, real.packsAfter, real.bytesAfter],
    );
    await store.close();
  }));

Deno.test("every index a seal or a prune writes keeps its pack's SHA-256", () =>
  inTempDir(async (dir) => {
    const { store, ids } = await threePacks(dir);
    const live = IdSet.from([...ids[1]!.slice(1), ...ids[2]!.slice(5)]);
    const assertHashes = async () => {
      for (const pack of await filesEnding(dir, ".pack")) {
        const name = pack.slice(pack.lastIndexOf("/") + 1, -".pack".length);
        const index = decodeIndex(await Deno.readFile(`${dir}/index/${name}.idx`), name);
        const hash = createHash("sha256").update(await Deno.readFile(pack)).digest();
        assert.deepEqual(index.packHash, new Uint8Array(hash), pack);
      }
    };
    await assertHashes();
    await store.prune(live, { maxUnusedPercent: 20, dryRun: false });
    await assertHashes();
    await store.close();
  }));
