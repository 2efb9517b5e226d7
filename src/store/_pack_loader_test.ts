import assert from "node:assert/strict";
import { silentLogger } from "../log.ts";
import { inTempDir } from "../../tests/_testing.ts";
import { ChunkIndex } from "./_chunk_index.ts";
import { indexDir } from "./_pack_layout.ts";
import { loadStore } from "./_pack_loader.ts";
import { PackChunkStore } from "./pack_chunk_store.ts";

Deno.test("loadStore() lets timers run while it loads one large index", async () => {
  await inTempDir(async (dir) => {
    const count = 100_000;
    const store = await PackChunkStore.open(dir);
    for (let i = 0; i < count; i++) {
      await store.put(crypto.getRandomValues(new Uint8Array(32)), new Uint8Array(8).fill(i));
    }
    await store.close();
    const indexes = await Array.fromAsync(Deno.readDir(indexDir(dir)));
    assert.equal(indexes.length, 1, "precondition: every entry is in one index file");

    const index = new ChunkIndex();
    const seen: number[] = [];
    let loading = true;
    const sample = () => {
      seen.push(index.count);
      if (loading) setTimeout(sample, 0);
    };
    sample();
    const report = await loadStore(dir, index, () => 0, silentLogger);
    loading = false;
    assert.deepEqual([report.lost, report.unreadableIndexes, report.quarantine.size], [
      new Uint8Array(0),
      0,
      0,
    ]);
    assert.equal(index.count, count);
    const midway = seen.filter((n) => n > 0 && n < count);
    assert.ok(
      midway.length >= 1,
      `${midway.length} of ${seen.length} turns saw the index partly loaded`,
    );
  });
});
