import assert from "node:assert/strict";
import { newCredentials } from "../auth/new_credentials.ts";
import { BurrowError } from "../errors.ts";
import { compareIds } from "../format/id_set.ts";
import {
  type ClientMessage,
  decodeMessage,
  MAX_SNAPSHOT_RECORD,
  MessageType,
  type Payloads,
} from "../protocol/mod.ts";
import { MemoryChunkStore } from "../store/memory_chunk_store.ts";
import { DEFAULT_PRUNE_WAIT_MS } from "../store/prune_gate.ts";
import { UserRepository } from "../store/user_repository.ts";
import { inTempDir, type LoggedLine, recordingLogger } from "../../tests/_testing.ts";
import { addTestUser, CHEAP_KDF, testAccounts } from "./_testing.ts";
import type { AccountService } from "./accounts.ts";
import { type HandlerContext, handleRepositoryRequest, type Reply } from "./repository_handlers.ts";
import { UploadTally } from "./_upload_tally.ts";
import type { AccountLimits } from "./account_limits.ts";
import { RepositoryClaims } from "./_repository_claims.ts";

interface Fixture {
  /** Handles one request of alice. */
  handle(message: ClientMessage): Promise<Reply>;
  repository: UserRepository;
  accounts: AccountService;
  dir: string;
  lines: LoggedLine[];
  /** Alice's limits, read by every request: change them to test what they refuse. */
  limits: AccountLimits;
}

async function withHandlers(body: (f: Fixture) => Promise<void>): Promise<void> {
  await inTempDir(async (dir) => {
    const { accounts, store, close } = testAccounts();
    await addTestUser(store, "alice", "alice-pass");
    const alice = await store.get("alice");
    const repository = await UserRepository.open(`${dir}/alice`, {
      user: "alice",
      created: alice!.created,
      kdf: alice!.kdf,
    }, { openChunks: () => Promise.resolve(new MemoryChunkStore()) });
    const { logger, lines } = recordingLogger();
    const limits: AccountLimits = { appendOnly: false, quota: null };
    const ctx: HandlerContext = {
      user: "alice",
      limits,
      accounts,
      logger,
      repository: () => Promise.resolve(repository),
      uploads: new UploadTally(),
      claims: new RepositoryClaims(DEFAULT_PRUNE_WAIT_MS),
    };
    try {
      await body({
        handle: (message) => handleRepositoryRequest(ctx, message),
        repository,
        accounts,
        dir,
        lines,
        limits,
      });
    } finally {
      await repository.close();
      await close();
    }
  });
}

function blob(length: number, fill: number): { id: Uint8Array; blob: Uint8Array } {
  return {
    id: crypto.getRandomValues(new Uint8Array(32)),
    blob: new Uint8Array(length).fill(fill),
  };
}

/** The payload of a reply, decoded as the client would (`chunks`, `chunk_ids` come encoded). */
function payloadOf<K extends Reply["type"]>(reply: Reply, type: K): Payloads[K] {
  assert.equal(reply.type, type);
  if ("encoded" in reply) {
    return decodeMessage({ type: MessageType[reply.type], payload: reply.encoded })
      .payload as Payloads[K];
  }
  return reply.payload as Payloads[K];
}

Deno.test("put_chunks counts only the blobs that were new, and their bytes", async () => {
  await withHandlers(async ({ handle }) => {
    const [a, b] = [blob(100, 1), blob(200, 2)];
    const first = await handle({ type: "put_chunks", payload: { blobs: [a, b] } });
    assert.deepEqual(payloadOf(first, "put_ok"), { stored: 2, bytes: 300 });
    const again = await handle({ type: "put_chunks", payload: { blobs: [b, blob(50, 3)] } });
    assert.deepEqual(payloadOf(again, "put_ok"), { stored: 1, bytes: 50 });
  });
});

Deno.test("list_chunks lists ids in ascending byte order, after the given id", async () => {
  await withHandlers(async ({ handle }) => {
    const blobs = Array.from({ length: 20 }, (_, i) => blob(60, i));
    await handle({ type: "put_chunks", payload: { blobs } });
    const sorted = blobs.map((b) => b.id).sort(compareIds);
    const all = payloadOf(await handle({ type: "list_chunks", payload: {} }), "chunk_ids");
    assert.equal(all.more, false);
    assert.deepEqual(idsOf(all.ids), sorted);
    const after = payloadOf(
      await handle({ type: "list_chunks", payload: { after: sorted[11]! } }),
      "chunk_ids",
    );
    assert.deepEqual(idsOf(after.ids), sorted.slice(12));
  });
});

function idsOf(concatenated: Uint8Array): Uint8Array[] {
  const ids: Uint8Array[] = [];
  for (let at = 0; at < concatenated.length; at += 32) ids.push(concatenated.slice(at, at + 32));
  return ids;
}

Deno.test("get_chunks sends a prefix of the asked blobs within its budget and names the missing", async () => {
  await withHandlers(async ({ handle }) => {
    const big = [blob(3 << 20, 1), blob(3 << 20, 2), blob(3 << 20, 3)];
    await handle({ type: "put_chunks", payload: { blobs: big } });
    const absent = crypto.getRandomValues(new Uint8Array(32));
    const reply = payloadOf(
      await handle({ type: "get_chunks", payload: { ids: [absent, ...big.map((b) => b.id)] } }),
      "chunks",
    );
    // 9 MiB of blobs do not fit an 8 MiB reply: the first two go, the client asks for the rest
    // (ids past the cut are not looked at, so the absent one is asked first).
    assert.deepEqual(reply.blobs.map((b) => b.id), big.slice(0, 2).map((b) => b.id));
    assert.deepEqual(reply.blobs.map((b) => b.blob), big.slice(0, 2).map((b) => b.blob));
    assert.deepEqual(reply.missing, [absent]);
    const rest = payloadOf(
      await handle({ type: "get_chunks", payload: { ids: [big[2]!.id] } }),
      "chunks",
    );
    assert.deepEqual(rest.blobs, [big[2]]);
  });
});

Deno.test("commit_snapshot stores a record once, logs one line; list_snapshots returns it", async () => {
  await withHandlers(async ({ handle, lines }) => {
    const record = new Uint8Array(100).fill(9);
    const counts = { filesNew: 4, filesChanged: 2, filesRemoved: 1 };
    const commit = {
      type: "commit_snapshot",
      payload: { id: "0123456789abcdef", record, ...counts },
    };
    await handle(put([blob(300, 1)]));
    assert.equal((await handle(commit as ClientMessage)).type, "ok");
    const logged = lines.filter((line) => line.message === "snapshot committed");
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.fields.user, "alice");
    assert.equal(logged[0]!.fields.snapshot, "0123456789abcdef");
    assert.deepEqual(
      [logged[0]!.fields.filesNew, logged[0]!.fields.filesChanged, logged[0]!.fields.filesRemoved],
      [4, 2, 1],
    );
    assert.equal(logged[0]!.fields.bytesReceived, 300);
    assert.equal(logged[0]!.fields.bytesStored, 300);
    await assert.rejects(
      handle(commit as ClientMessage),
      (e) => e instanceof BurrowError && e.code === "CONFLICT",
    );
    const listed = payloadOf(await handle({ type: "list_snapshots", payload: {} }), "snapshots");
    assert.deepEqual(listed, { snapshots: [{ id: "0123456789abcdef", record }] });
  });
});

Deno.test("list_snapshots names records it cannot send instead of failing", async () => {
  await withHandlers(async ({ handle, dir, lines }) => {
    await Deno.writeFile(`${dir}/alice/snapshots/00000000000000aa`, new Uint8Array(0));
    await Deno.writeFile(
      `${dir}/alice/snapshots/00000000000000bb`,
      new Uint8Array(MAX_SNAPSHOT_RECORD + 1),
    );
    const good = new Uint8Array(10).fill(1);
    await Deno.writeFile(`${dir}/alice/snapshots/00000000000000cc`, good);
    const listed = payloadOf(await handle({ type: "list_snapshots", payload: {} }), "snapshots");
    assert.deepEqual(listed.snapshots, [{ id: "00000000000000cc", record: good }]);
    assert.deepEqual(listed.unreadable, [
      { id: "00000000000000aa", reason: "its record file is empty" },
      {
        id: "00000000000000bb",
        reason: `its record file is larger than ${MAX_SNAPSHOT_RECORD} bytes`,
      },
    ]);
    assert.equal(lines.filter((l) => l.message === "snapshot record cannot be sent").length, 2);
  });
});

Deno.test("put_key stores the key once; get_key returns it", async () => {
  await withHandlers(async ({ handle }) => {
    assert.deepEqual(payloadOf(await handle({ type: "get_key", payload: {} }), "key"), {});
    const wrapped = new Uint8Array(65).fill(4);
    assert.equal((await handle({ type: "put_key", payload: { wrapped } })).type, "ok");
    await assert.rejects(
      handle({ type: "put_key", payload: { wrapped: new Uint8Array(65) } }),
      (e) => e instanceof BurrowError && e.code === "CONFLICT",
    );
    assert.deepEqual(payloadOf(await handle({ type: "get_key", payload: {} }), "key"), { wrapped });
  });
});

Deno.test("change_password keeps the key usable: refused without a rewrapped key, else swapped", async () => {
  await withHandlers(async ({ handle, accounts }) => {
    const wrapped = new Uint8Array(65).fill(4);
    await handle({ type: "put_key", payload: { wrapped } });
    const old = await accounts.kdfOf("alice");
    const next = await newCredentials("new-pass", CHEAP_KDF);
    await assert.rejects(
      handle({ type: "change_password", payload: { kdf: next.kdf, authKey: next.authKey } }),
      (e) => e instanceof BurrowError && e.code === "CONFLICT",
    );
    assert.equal(await accounts.kdfOf("alice"), old, "the password did not change");
    const rewrapped = new Uint8Array(65).fill(5);
    const payload = { kdf: next.kdf, authKey: next.authKey, wrappedKey: rewrapped };
    assert.equal((await handle({ type: "change_password", payload })).type, "ok");
    assert.equal(await accounts.kdfOf("alice"), next.kdf);
    assert.deepEqual(payloadOf(await handle({ type: "get_key", payload: {} }), "key"), {
      wrapped: rewrapped,
    });
  });
});

Deno.test("put_chunks refuses a batch that would pass the quota, storing none of it", async () => {
  await withHandlers(async ({ handle, repository, limits, lines }) => {
    limits.quota = 1000;
    const [a, b, c] = [blob(400, 1), blob(400, 2), blob(300, 3)];
    assert.deepEqual(payloadOf(await handle(put([a, b])), "put_ok"), { stored: 2, bytes: 800 });
    // a is held already and costs nothing; c alone would pass 1000.
    await assert.rejects(
      handle(put([a, c])),
      (e) =>
        e instanceof BurrowError && e.code === "QUOTA_EXCEEDED" &&
        e.message === "Cannot store chunks: quota exceeded: 800 B of 1000 B stored",
    );
    await assert.rejects(handle(put([c])), (e) => e instanceof BurrowError);
    assert.equal(repository.chunks.has(c.id), false, "nothing of a refused batch is written");
    assert.equal(repository.chunks.storedBytes, 800);
    assert.equal(lines.filter((l) => l.message === "chunks refused: quota exceeded").length, 1);
    // Bytes freed in the store count at once, and a batch that fits exactly goes in.
    await repository.chunks.delete([b.id]);
    const d = blob(200, 4);
    assert.deepEqual(payloadOf(await handle(put([c, d])), "put_ok"), { stored: 2, bytes: 500 });
    assert.equal(repository.chunks.storedBytes, 900);
    limits.quota = null;
    assert.equal((await handle(put([blob(5000, 5)]))).type, "put_ok");
  });
});

Deno.test("an append-only account cannot replace its key; change_password changes nothing", async () => {
  await withHandlers(async ({ handle, accounts, limits }) => {
    const wrapped = new Uint8Array(65).fill(4);
    await handle({ type: "put_key", payload: { wrapped } });
    limits.appendOnly = true;
    const old = await accounts.kdfOf("alice");
    const next = await newCredentials("new-pass", CHEAP_KDF);
    const payload = { kdf: next.kdf, authKey: next.authKey, wrappedKey: new Uint8Array(65) };
    await assert.rejects(
      handle({ type: "change_password", payload }),
      (e) =>
        e instanceof BurrowError && e.code === "APPEND_ONLY" &&
        e.message === "Cannot replace the repository key: account is append-only",
    );
    assert.equal(await accounts.kdfOf("alice"), old, "the password did not change");
    assert.deepEqual(payloadOf(await handle({ type: "get_key", payload: {} }), "key"), { wrapped });
  });
});

Deno.test("report_damaged sets nothing aside for an append-only account", async () => {
  await withHandlers(async ({ handle, repository, limits }) => {
    const a = blob(100, 1);
    await handle(put([a]));
    limits.appendOnly = true;
    const noted = await handle({ type: "report_damaged", payload: { ids: [a.id] } });
    assert.deepEqual(payloadOf(noted, "damage_noted"), { setAside: 0 });
    assert.equal(repository.chunks.has(a.id), true);
    limits.appendOnly = false;
    const again = await handle({ type: "report_damaged", payload: { ids: [a.id] } });
    assert.deepEqual(payloadOf(again, "damage_noted"), { setAside: 1 }, "the test can fail");
  });
});

/** A `put_chunks` of `blobs`. */
function put(blobs: { id: Uint8Array; blob: Uint8Array }[]): ClientMessage {
  return { type: "put_chunks", payload: { blobs } };
}

Deno.test("handleRepositoryRequest() refuses a login message after login", async () => {
  await withHandlers(async ({ handle }) => {
    await assert.rejects(
      handle({ type: "hello", payload: { protocol: [1], client: "test" } }),
      (e) => e instanceof BurrowError && e.code === "PROTOCOL",
    );
  });
});
