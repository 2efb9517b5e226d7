import assert from "node:assert/strict";
import { MemoryChunkStore } from "./memory_chunk_store.ts";
import { UserRepository } from "./user_repository.ts";
import { inTempDir } from "../../tests/_testing.ts";

/** A `syncDir` that records the folders it was asked to fsync. */
function recordingSync(): { synced: string[]; syncDir: (dir: string) => Promise<void> } {
  const synced: string[] = [];
  return { synced, syncDir: (dir) => (synced.push(dir), Promise.resolve()) };
}

const openChunks = () => Promise.resolve(new MemoryChunkStore());
const ALICE = { user: "alice", created: "2024-01-02T03:04:05.678Z", kdf: "kdf of alice" };

Deno.test("UserRepository.open() fsyncs every folder it makes into its parent", () =>
  inTempDir(async (dir) => {
    const { synced, syncDir } = recordingSync();
    const repository = await UserRepository.open(`${dir}/repos/alice`, ALICE, {
      openChunks,
      syncDir,
    });
    await repository.close();
    // DATA/repos into DATA, alice into repos, snapshots/ and keys/ into alice.
    assert.deepEqual(
      [...new Set(synced)].sort(),
      [dir, `${dir}/repos`, `${dir}/repos/alice`],
    );
    for (const sub of ["snapshots", "keys"]) {
      assert.equal((await Deno.stat(`${dir}/repos/alice/${sub}`)).isDirectory, true);
    }
    synced.length = 0;
    await (await UserRepository.open(`${dir}/repos/alice`, ALICE, { openChunks, syncDir })).close();
    assert.deepEqual(synced, [], "an existing repository makes no folder");
  }));

Deno.test("UserRepository.open() makes missing snapshots/ and keys/ of an existing folder durable", () =>
  inTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/alice/snapshots`, { recursive: true });
    const { synced, syncDir } = recordingSync();
    await (await UserRepository.open(`${dir}/alice`, ALICE, { openChunks, syncDir })).close();
    assert.deepEqual(synced, [`${dir}/alice`]);
  }));
