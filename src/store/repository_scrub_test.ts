import assert from "node:assert/strict";
import { filesEnding, inTempDir } from "../../tests/_testing.ts";
import { PackChunkStore } from "./pack_chunk_store.ts";
import { scrubRepository } from "./repository_scrub.ts";

const OPTIONS = { maxSnapshotRecordBytes: 256 * 1024 };

/** A repository folder with two sealed packs of three blobs each; returns the pack paths. */
async function twoPacks(dir: string): Promise<string[]> {
  const store = await PackChunkStore.open(`${dir}/chunks`);
  for (let pack = 0; pack < 2; pack++) {
    for (let i = 0; i < 3; i++) {
      await store.put(crypto.getRandomValues(new Uint8Array(32)), new Uint8Array(500).fill(i));
    }
    await store.flush();
  }
  await store.close();
  await Deno.mkdir(`${dir}/snapshots`);
  return await filesEnding(`${dir}/chunks/packs`, ".pack");
}

const nameOf = (pack: string) => pack.slice(pack.lastIndexOf("/") + 1, -".pack".length);

Deno.test("scrubRepository() passes a healthy repository, every pack hash-checked", () =>
  inTempDir(async (dir) => {
    await twoPacks(dir);
    await Deno.writeFile(`${dir}/snapshots/0123456789abcdef`, new Uint8Array(200));
    const report = await scrubRepository(dir, OPTIONS);
    assert.deepEqual(
      [report.packs, report.packsHashChecked, report.blobs, report.snapshots, report.damage],
      [2, 2, 6, 1, []],
    );
  }));

Deno.test("scrubRepository() names a missing pack, a damaged index, a stray pack, a bad record file", () =>
  inTempDir(async (dir) => {
    const [first, second] = await twoPacks(dir);
    await Deno.remove(first!);
    await Deno.writeTextFile(`${dir}/chunks/index/${nameOf(second!)}.idx`, "garbage");
    const stray = "ab".repeat(16);
    // A real pack may already have this prefix folder (one chance in 128).
    await Deno.mkdir(`${dir}/chunks/packs/ab`, { recursive: true });
    await Deno.copyFile(second!, `${dir}/chunks/packs/ab/${stray}.pack`);
    await Deno.writeFile(`${dir}/snapshots/0123456789abcdef`, new Uint8Array(3));
    const report = await scrubRepository(dir, OPTIONS);
    const byPack = new Map(report.damage.map((d) => [d.pack ?? d.snapshot, d]));
    const missing = byPack.get(nameOf(first!))!;
    assert.match(missing.problems[0]!, /its pack is missing/);
    assert.equal(missing.blobs.length, 3);
    assert.match(byPack.get(nameOf(second!))!.problems[0]!, /its index is damaged/);
    assert.match(byPack.get("0123456789abcdef")!.problems[0]!, /record file is 3 bytes/);
    assert.deepEqual(report.packsWithoutIndex, [stray]);
    assert.equal(report.packs, 0);
  }));
