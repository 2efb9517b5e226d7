import assert from "node:assert/strict";
import { IntegrityError } from "../errors.ts";
import type { SnapshotRecord } from "../format/snapshot_model.ts";
import { withScriptedClient } from "../../tests/_scripted_server.ts";
import type { LoginResult } from "./burrow_client.ts";
import { RemoteRepository } from "./remote_repository.ts";

const ALICE: LoginResult = {
  user: "alice",
  keyEncryptionKey: new Uint8Array(32).fill(1),
  kdfMs: 0,
};

/** A new repository made through a scripted server, and the wrapped key it stored there. */
async function newRepository(): Promise<{ repository: RemoteRepository; wrapped: Uint8Array }> {
  let wrapped: Uint8Array | undefined;
  let repository: RemoteRepository | null = null;
  await withScriptedClient(async (peer) => {
    await peer.answer("get_key", "key", {});
    const put = await peer.answer("put_key", "ok", {});
    if (put.type === "put_key") wrapped = put.payload.wrapped;
  }, async (client) => {
    repository = await RemoteRepository.open(client, ALICE, { create: true });
  });
  assert.ok(repository !== null && wrapped !== undefined);
  return { repository, wrapped };
}

function record(id: string, time: string): SnapshotRecord {
  return {
    version: 2,
    id,
    set: "docs",
    time,
    host: "test",
    source: "/home/alice/docs",
    rootType: "dir",
    rootMode: 0o755,
    rootMtimeNs: 0n,
    parent: null,
    manifest: [],
    summary: {
      files: 0,
      dirs: 0,
      symlinks: 0,
      bytes: 0,
      filesNew: 0,
      filesChanged: 0,
      filesUnchanged: 0,
      filesRemoved: 0,
      bytesRead: 0,
      bytesSent: 0,
      bytesStored: 0,
      warnings: 0,
    },
  };
}

Deno.test("RemoteRepository.open() without create finds no repository before the first push", async () => {
  await withScriptedClient(async (peer) => {
    await peer.answer("get_key", "key", {});
    assert.equal(await peer.next(), null, "nothing was stored");
  }, async (client) => {
    assert.equal(await RemoteRepository.open(client, ALICE, { create: false }), null);
  });
});

Deno.test("RemoteRepository.open() opens the key it stored with the same password", async () => {
  const { repository, wrapped } = await newRepository();
  await withScriptedClient(async (peer) => {
    await peer.answer("get_key", "key", { wrapped });
  }, async (client) => {
    const again = await RemoteRepository.open(client, ALICE, { create: false });
    assert.deepEqual(again?.keys, repository.keys);
  });
});

Deno.test("RemoteRepository.open() uses the key another first push stored meanwhile", async () => {
  // Two first pushes at once: both find no key, the server keeps the first put and answers the
  // second with CONFLICT; the second must then use the first one's key, not its own.
  const { repository: theirs, wrapped } = await newRepository();
  await withScriptedClient(async (peer) => {
    await peer.answer("get_key", "key", {});
    const put = await peer.next();
    assert.ok(put !== null && put.message.type === "put_key");
    await peer.reply(put.id, "error", {
      code: "CONFLICT",
      message: "Cannot store the repository key: the user has one already",
    });
    await peer.answer("get_key", "key", { wrapped });
  }, async (client) => {
    const mine = await RemoteRepository.open(client, ALICE, { create: true });
    assert.deepEqual(mine?.keys, theirs.keys);
  });
});

Deno.test("RemoteRepository.open() says when the key does not open with this password", async () => {
  const { wrapped } = await newRepository();
  const otherPassword = { user: "alice", keyEncryptionKey: new Uint8Array(32).fill(2), kdfMs: 0 };
  await withScriptedClient(async (peer) => {
    await peer.answer("get_key", "key", { wrapped });
  }, async (client) => {
    await assert.rejects(
      RemoteRepository.open(client, otherPassword, { create: false }),
      (e) =>
        e instanceof IntegrityError && /does not open with this password's key/.test(e.message),
    );
  });
});

Deno.test("RemoteRepository.listSnapshots() opens records oldest first and names the rest", async () => {
  const { repository, wrapped } = await newRepository();
  const older = record("00000000000000a1", "2024-01-01T00:00:00.000Z");
  const newer = record("00000000000000a0", "2024-02-01T00:00:00.000Z");
  const forged = repository.seal(record("00000000000000b0", "2024-03-01T00:00:00.000Z"));
  forged[forged.length - 1]! ^= 1;
  await withScriptedClient(async (peer) => {
    await peer.answer("get_key", "key", { wrapped });
    await peer.answer("list_snapshots", "snapshots", {
      snapshots: [
        { id: newer.id, record: repository.seal(newer) },
        { id: "00000000000000b0", record: forged },
        { id: older.id, record: repository.seal(older) },
      ],
      unreadable: [{ id: "00000000000000c0", reason: "its record file cannot be read" }],
      damagedChunks: 3,
    });
  }, async (client) => {
    const opened = await RemoteRepository.open(client, ALICE, { create: false });
    assert.ok(opened !== null);
    const listing = await opened.listSnapshots();
    assert.deepEqual(listing.records.map((r) => r.id), [older.id, newer.id]);
    assert.deepEqual(listing.records[0], older);
    assert.deepEqual(listing.unreadable.map((u) => u.id), ["00000000000000b0", "00000000000000c0"]);
    assert.equal(listing.damagedChunks, 3);
  });
});
