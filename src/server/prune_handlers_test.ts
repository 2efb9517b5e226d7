import assert from "node:assert/strict";
import { BurrowError, NotFoundError, ProtocolError } from "../errors.ts";
import type { ClientMessage } from "../protocol/mod.ts";
import { MemoryChunkStore } from "../store/memory_chunk_store.ts";
import { DEFAULT_PRUNE_WAIT_MS } from "../store/prune_gate.ts";
import { UserRepository } from "../store/user_repository.ts";
import { inTempDir, recordingLogger } from "../../tests/_testing.ts";
import { addTestUser, testAccounts } from "./_testing.ts";
import { type HandlerContext, handleRepositoryRequest, type Reply } from "./repository_handlers.ts";
import { UploadTally } from "./_upload_tally.ts";
import { RepositoryClaims } from "./_repository_claims.ts";
import type { AccountLimits } from "./account_limits.ts";

type Handle = (message: ClientMessage) => Promise<Reply>;

/** Makes a session of alice's with `limits`, whose prunes wait `pruneWaitMs` for pushes. */
type SessionOf = (limits?: AccountLimits, pruneWaitMs?: number) => Handle;

/** Runs `body` with alice's repository and a factory of sessions (each with its own claims). */
async function withSessions(
  body: (session: SessionOf, repository: UserRepository) => Promise<void>,
): Promise<void> {
  await inTempDir(async (dir) => {
    const { accounts, store, close } = testAccounts();
    await addTestUser(store, "alice", "alice-pass");
    const alice = await store.get("alice");
    const repository = await UserRepository.open(`${dir}/alice`, {
      user: "alice",
      created: alice!.created,
      kdf: alice!.kdf,
    }, { openChunks: () => Promise.resolve(new MemoryChunkStore()) });
    const session: SessionOf = (
      limits = { appendOnly: false, quota: null },
      pruneWaitMs = DEFAULT_PRUNE_WAIT_MS,
    ) => {
      const ctx: HandlerContext = {
        user: "alice",
        limits,
        accounts,
        logger: recordingLogger().logger,
        repository: () => Promise.resolve(repository),
        uploads: new UploadTally(),
        claims: new RepositoryClaims(pruneWaitMs),
      };
      return (message) => handleRepositoryRequest(ctx, message);
    };
    try {
      await body(session, repository);
    } finally {
      await repository.close();
      await close();
    }
  });
}

const id = (byte: number) => new Uint8Array(32).fill(byte);
const blob = new Uint8Array(100).fill(7);
const put = (byte: number): ClientMessage => ({
  type: "put_chunks",
  payload: { blobs: [{ id: id(byte), blob }] },
});
const commit = (snapshot: string): ClientMessage => ({
  type: "commit_snapshot",
  payload: { id: snapshot, record: new Uint8Array(10) },
});
const busy = (pattern: RegExp) => (error: unknown) =>
  error instanceof BurrowError && error.code === "BUSY" && pattern.test(error.message);

Deno.test("forget_snapshots removes the named records and refuses an unknown id, removing nothing", async () => {
  await withSessions(async (session, repository) => {
    const alice = session();
    await alice(commit("00000000000000a1"));
    await alice(commit("00000000000000a2"));
    await assert.rejects(
      alice({
        type: "forget_snapshots",
        payload: { ids: ["00000000000000a1", "00000000000000ff"] },
      }),
      (e) =>
        e instanceof NotFoundError &&
        /snapshot 00000000000000ff: it does not exist/.test(e.message),
    );
    assert.equal((await repository.listSnapshots()).snapshots.length, 2);
    await alice({ type: "forget_snapshots", payload: { ids: ["00000000000000a1"] } });
    assert.deepEqual((await repository.listSnapshots()).snapshots.map((s) => s.id), [
      "00000000000000a2",
    ]);
  });
});

Deno.test("a prune removes the chunks not sent as live, and keeps pushes out while it runs", async () => {
  await withSessions(async (session, repository) => {
    const pusher = session();
    for (const byte of [1, 2, 3]) await pusher(put(byte));
    await pusher(commit("00000000000000a1"));
    const pruner = session();
    await pruner({ type: "prune_begin", payload: {} });
    assert.throws(() => repository.pruneGate.enterPush("store chunks"), busy(/a prune/));
    await assert.rejects(session()(put(9)), busy(/Cannot store chunks: a prune/));
    const live = new Uint8Array(64);
    live.set(id(1), 0);
    live.set(id(3), 32);
    await pruner({ type: "prune_live", payload: { ids: live } });
    const reply = await pruner({ type: "prune_run", payload: { maxUnused: 5, dryRun: false } });
    assert.equal(reply.type, "pruned");
    assert.equal(
      ("payload" in reply && reply.type === "pruned") ? reply.payload.blobsRemoved : -1,
      1,
    );
    assert.ok(repository.chunks.has(id(1)) && !repository.chunks.has(id(2)));
    await session()(put(9)); // the gate is open again
  });
});

Deno.test("prune_begin waits its session's prune wait for a running push, then answers BUSY", async () => {
  await withSessions(async (session, repository) => {
    const pusher = session();
    await pusher(put(1));
    await assert.rejects(
      session(undefined, 20)({ type: "prune_begin", payload: {} }),
      busy(/Cannot prune: a push to this repository is still running/),
    );
    await pusher(commit("00000000000000a1"));
    const leave = await repository.pruneGate.enterPrune(0);
    leave(false);
  });
});

Deno.test("a push that listed chunks before a prune finished cannot commit after it", async () => {
  await withSessions(async (session) => {
    const pusher = session();
    await pusher(put(1));
    await pusher(commit("00000000000000a1")); // lets go of the gate, remembers its epoch
    const pruner = session();
    await pruner({ type: "prune_begin", payload: {} });
    await pruner({ type: "prune_run", payload: { maxUnused: 0, dryRun: false } });
    await pusher(put(2));
    await assert.rejects(
      pusher(commit("00000000000000a2")),
      (e) => e instanceof BurrowError && e.code === "CONFLICT" && /a prune ran/.test(e.message),
    );
  });
});

Deno.test("prune_live refuses ids without prune_begin, and ids out of order", async () => {
  await withSessions(async (session) => {
    const alice = session();
    const ids = new Uint8Array(64);
    ids.set(id(2), 0);
    ids.set(id(1), 32);
    await assert.rejects(
      alice({ type: "prune_live", payload: { ids } }),
      (e) => e instanceof ProtocolError && /send prune_begin first/.test(e.message),
    );
    await alice({ type: "prune_begin", payload: {} });
    await assert.rejects(
      alice({ type: "prune_live", payload: { ids } }),
      (e) => e instanceof ProtocolError && /ascending/.test(e.message),
    );
  });
});

Deno.test("an append-only account may neither forget snapshots nor prune, and nothing is removed", async () => {
  await withSessions(async (session, repository) => {
    const owner = session();
    await owner(put(1));
    await owner(commit("00000000000000a1"));
    const appendOnly = session({ appendOnly: true, quota: null });
    const refused = (action: string) => (error: unknown) =>
      error instanceof BurrowError && error.code === "APPEND_ONLY" &&
      error.message === `Cannot ${action}: account is append-only`;
    await assert.rejects(
      () => appendOnly({ type: "forget_snapshots", payload: { ids: ["00000000000000a1"] } }),
      refused("forget snapshots"),
    );
    await assert.rejects(() => appendOnly({ type: "prune_begin", payload: {} }), refused("prune"));
    await assert.rejects(
      () => appendOnly({ type: "prune_run", payload: { maxUnused: 0, dryRun: false } }),
      refused("prune"),
    );
    assert.deepEqual((await repository.listSnapshots()).snapshots.map((s) => s.id), [
      "00000000000000a1",
    ]);
    assert.ok(repository.chunks.has(id(1)));
  });
});
