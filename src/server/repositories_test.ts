import assert from "node:assert/strict";
import { BurrowError, NotFoundError } from "../errors.ts";
import { lockRepository } from "../store/repository_lock.ts";
import { MemoryChunkStore } from "../store/memory_chunk_store.ts";
import { PackChunkStore } from "../store/pack_chunk_store.ts";
import {
  RepositoryRegistry,
  type RepositoryRegistryOptions,
  type SessionAccount,
} from "./repositories.ts";

const CREATED = "2024-01-02T03:04:05.678Z";

/** A session of `user`'s account created at `created`. */
function as(user: string, created = CREATED): SessionAccount {
  return { user, created };
}

/**
 * Runs `body` with a data folder and a registry in which only the users in `accounts` exist,
 * each created at the time it maps to.
 */
async function withRegistry(
  body: (
    registry: RepositoryRegistry,
    dataDir: string,
    accounts: Map<string, string>,
  ) => Promise<void>,
  options: Partial<RepositoryRegistryOptions> = {},
): Promise<void> {
  const dataDir = await Deno.makeTempDir();
  const accounts = new Map([["alice", CREATED]]);
  const registry = new RepositoryRegistry(dataDir, {
    account: (name) => {
      const created = accounts.get(name);
      return Promise.resolve(created === undefined ? null : { created, kdf: `kdf ${created}` });
    },
    lockWaitMs: 2000,
    ...options,
  });
  try {
    await body(registry, dataDir, accounts);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("RepositoryRegistry.acquire() holds the user's lock until the last release", async () => {
  await withRegistry(async (registry, dataDir) => {
    const one = await registry.acquire(as("alice"));
    const two = await registry.acquire(as("alice"));
    assert.equal(one, two, "sessions of one user share one repository");
    assert.equal(await lockRepository(dataDir, "alice", 0), null, "the server holds the lock");
    await registry.release("alice");
    assert.equal(await lockRepository(dataDir, "alice", 0), null, "one session still uses it");
    await registry.release("alice");
    const admin = await lockRepository(dataDir, "alice", 0);
    assert.ok(admin !== null, "the lock is free once the repository is closed");
    admin.release();
  });
});

Deno.test("RepositoryRegistry.acquire() waits while an admin command holds the lock", async () => {
  await withRegistry(async (registry, dataDir) => {
    const admin = await lockRepository(dataDir, "alice", 0);
    assert.ok(admin !== null);
    let opened = false;
    const acquiring = registry.acquire(as("alice")).then((
      repository,
    ) => (opened = true, repository));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(opened, false, "no open while the admin holds the lock");
    assert.equal(await exists(`${dataDir}/repos/alice`), false);
    admin.release();
    await acquiring;
    assert.ok(await exists(`${dataDir}/repos/alice/chunks`));
    await registry.release("alice");
  });
});

Deno.test("RepositoryRegistry.acquire() fails with BUSY when an admin command keeps the lock", async () => {
  await withRegistry(async (registry, dataDir) => {
    const admin = await lockRepository(dataDir, "alice", 0);
    assert.ok(admin !== null);
    try {
      await assert.rejects(
        registry.acquire(as("alice")),
        (error) =>
          error instanceof BurrowError && error.code === "BUSY" &&
          !error.message.includes(dataDir),
      );
      assert.equal(await exists(`${dataDir}/repos/alice`), false, "nothing was created");
    } finally {
      admin.release();
    }
    // A failed acquire holds nothing: the next one opens, and one release closes it.
    await registry.acquire(as("alice"));
    await registry.release("alice");
    const again = await lockRepository(dataDir, "alice", 0);
    assert.ok(again !== null);
    again.release();
  }, { lockWaitMs: 150 });
});

Deno.test("RepositoryRegistry.acquire() creates no repository for an account that is gone", async () => {
  await withRegistry(async (registry, dataDir, accounts) => {
    accounts.delete("alice");
    await assert.rejects(registry.acquire(as("alice")), NotFoundError);
    assert.equal(await exists(`${dataDir}/repos/alice`), false);
    const admin = await lockRepository(dataDir, "alice", 0);
    assert.ok(admin !== null, "a refused open drops the lock");
    admin.release();
  });
});

Deno.test("RepositoryRegistry.acquire() right after the last release waits for the close", async () => {
  /** A chunk store whose close takes a while, as a flush of unwritten packs does. */
  class SlowClosingStore extends MemoryChunkStore {
    override async close(): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await super.close();
    }
  }
  const openChunks = () => Promise.resolve(new SlowClosingStore());
  await withRegistry(async (registry) => {
    const first = await registry.acquire(as("alice"));
    const closing = registry.release("alice");
    // No wait for the lock: this open succeeds only if it waits for the close to unlock.
    const reopened = await registry.acquire(as("alice"));
    await closing;
    assert.notEqual(reopened, first, "a new instance, opened after the old one closed");
    await registry.release("alice");
  }, { lockWaitMs: 0, openChunks });
});

Deno.test("RepositoryRegistry.acquire() makes every folder it creates durable", async () => {
  const synced: string[] = [];
  const syncDir = (dir: string) => (synced.push(dir), Promise.resolve());
  await withRegistry(async (registry, dataDir) => {
    await registry.acquire(as("alice"));
    await registry.release("alice");
    const folders = new Set(synced);
    // DATA/locks and DATA/repos into DATA, the repository into DATA/repos, its folders into it.
    for (const dir of [dataDir, `${dataDir}/repos`, `${dataDir}/repos/alice`]) {
      assert.ok(folders.has(dir), `${dir} was fsynced after a folder was made in it`);
    }
    synced.length = 0;
    await registry.acquire(as("alice"));
    await registry.release("alice");
    assert.deepEqual(synced, [], "a second open makes no folder");
  }, { syncDir });
});

Deno.test("RepositoryRegistry: a reopen while the pack store still flushes keeps every chunk", async () => {
  // The closing store's last pack takes 200 ms to fsync; the reopen must not sweep it.
  const slowSync = {
    syncFile: async (file: Deno.FsFile) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await file.sync();
    },
  };
  const openChunks = (dir: string) => PackChunkStore.open(dir, { hooks: slowSync });
  await withRegistry(async (registry) => {
    const first = await registry.acquire(as("alice"));
    const id = crypto.getRandomValues(new Uint8Array(32));
    const blob = crypto.getRandomValues(new Uint8Array(5000));
    await first.chunks.put(id, blob);
    const closing = registry.release("alice");
    const second = await registry.acquire(as("alice"));
    await closing;
    assert.deepEqual(await second.chunks.get(id), blob);
    await registry.release("alice");
  }, { openChunks });
});

Deno.test("RepositoryRegistry.acquire() of a store that fails to open drops the lock and retries", async () => {
  let failures = 1;
  const openChunks = () =>
    failures-- > 0
      ? Promise.reject(new Error("Cannot open chunk store: simulated"))
      : Promise.resolve(new MemoryChunkStore());
  await withRegistry(async (registry, dataDir) => {
    await assert.rejects(registry.acquire(as("alice")), /simulated/);
    const admin = await lockRepository(dataDir, "alice", 0);
    assert.ok(admin !== null, "a failed open holds no lock");
    admin.release();
    const repository = await registry.acquire(as("alice"));
    assert.ok(repository.chunks instanceof MemoryChunkStore, "the next acquire opens afresh");
    await registry.release("alice");
  }, { openChunks });
});

Deno.test("RepositoryRegistry: users are independent, and a release without acquire does nothing", async () => {
  await withRegistry(async (registry, dataDir, accounts) => {
    accounts.set("bob", CREATED);
    await registry.release("bob");
    const alice = await registry.acquire(as("alice"));
    const bob = await registry.acquire(as("bob"));
    assert.notEqual(alice, bob);
    await registry.release("alice");
    assert.equal(await lockRepository(dataDir, "bob", 0), null, "bob's repository stays open");
    const aliceLock = await lockRepository(dataDir, "alice", 0);
    assert.ok(aliceLock !== null, "alice's is closed");
    aliceLock.release();
    await registry.release("bob");
  });
});

Deno.test("RepositoryRegistry.acquire() refuses a session whose account was replaced by a new one of its name", async () => {
  await withRegistry(async (registry, dataDir, accounts) => {
    accounts.set("alice", "2025-01-01T00:00:00.000Z");
    await assert.rejects(
      registry.acquire(as("alice")),
      (error) => error instanceof NotFoundError && error.message.includes("was removed"),
    );
    assert.equal(await exists(`${dataDir}/repos/alice`), false, "nothing was created");
    // While the new account has it open, a session of the old one is refused and takes nothing.
    const current = as("alice", "2025-01-01T00:00:00.000Z");
    await registry.acquire(current);
    await assert.rejects(registry.acquire(as("alice")), NotFoundError);
    await registry.release("alice");
    const admin = await lockRepository(dataDir, "alice", 0);
    assert.ok(admin !== null, "one release closed it: the refused session held nothing");
    admin.release();
  });
});

Deno.test("RepositoryRegistry.acquire() refuses the repository of an earlier account of the name", async () => {
  await withRegistry(async (registry, dataDir, accounts) => {
    await registry.acquire(as("alice"));
    await registry.release("alice");
    const later = "2025-01-01T00:00:00.000Z";
    accounts.set("alice", later);
    await assert.rejects(
      registry.acquire(as("alice", later)),
      (error) =>
        error instanceof BurrowError && error.code === "CONFLICT" &&
        error.message.includes("belong to an earlier account") && !error.message.includes(dataDir),
    );
    const admin = await lockRepository(dataDir, "alice", 0);
    assert.ok(admin !== null, "a refused open drops the lock");
    admin.release();
  });
});
