import assert from "node:assert/strict";
import { deriveClientKeys, parseClientKdf } from "../auth/mod.ts";
import { newCredentials } from "../auth/new_credentials.ts";
import { newMasterKey, wrapMasterKey } from "../format/master_key.ts";
import { silentLogger } from "../log.ts";
import {
  CLIENT_READ_LIMITS,
  decodeServerMessage,
  encodeMessage,
  FrameStream,
  type MessageName,
  MessageType,
  type Payloads,
  type ServerMessage,
} from "../protocol/mod.ts";
import type { MemoryUserStore } from "../users/memory_user_store.ts";
import { lockRepository } from "../store/repository_lock.ts";
import type { ChunkStore } from "../store/chunk_store.ts";
import { MemoryChunkStore } from "../store/memory_chunk_store.ts";
import { inTempDir } from "../../tests/_testing.ts";
import { SocketReaper } from "./_socket_reaper.ts";
import {
  addTestUser,
  CHEAP_KDF,
  memoryConnPair,
  memoryRepositories,
  testAccounts,
} from "./_testing.ts";
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from "./server.ts";
import { Session } from "./session.ts";
import { StreamTickets } from "./stream_tickets.ts";

/** One reply as the client reads it: its request id and decoded message. */
interface Reply {
  id: number;
  message: ServerMessage;
}

/** A session over an in-memory connection, and the client's end of it. */
interface Harness {
  session: Session;
  /** Resolves when the session's `run` does. */
  done: Promise<void>;
  dataDir: string;
  /** The user store, alice in it. */
  store: MemoryUserStore;
  /** Times the session called `onLogin`. */
  logins: () => number;
  send<T extends MessageName>(type: T, payload: Payloads[T], id?: number): Promise<void>;
  /** The next reply, or null once the server closed the connection. */
  next(): Promise<Reply | null>;
  request<T extends MessageName>(type: T, payload: Payloads[T]): Promise<Reply>;
  login(user: string, password: string): Promise<Reply>;
  /** The client's end, for writing raw bytes and closing. */
  conn: ReturnType<typeof memoryConnPair>["client"];
  /** The stream tickets every session of the harness shares. */
  tickets: StreamTickets;
  /** Another connection to the same server (closed when the test ends). */
  another(): Harness;
}

interface HarnessOptions {
  allowSignup?: boolean;
  /** Alice's password is a temporary one an administrator set. */
  temporaryPassword?: boolean;
  limits?: Partial<ServerLimits>;
  /** Makes each repository's chunk store (default: an empty memory store). */
  openChunks?: () => ChunkStore;
}

async function withSession(
  body: (h: Harness) => Promise<void>,
  options: HarnessOptions = {},
): Promise<void> {
  await inTempDir(async (dataDir) => {
    const { accounts, store, close } = testAccounts({
      ...(options.allowSignup === undefined ? {} : { allowSignup: options.allowSignup }),
    });
    await addTestUser(store, "alice", "alice-pass", options.temporaryPassword ?? false);
    const repositories = memoryRepositories(dataDir, store, options.openChunks);
    const tickets = new StreamTickets();
    let logins = 0;
    const sessions: Promise<void>[] = [];
    const clients: { close(): void }[] = [];
    const start = (): Harness => {
      const { server, client } = memoryConnPair();
      const session = new Session(server, {
        accounts,
        repositories,
        limits: { ...DEFAULT_SERVER_LIMITS, ...options.limits },
        logger: silentLogger,
        id: sessions.length + 1,
        peer: "127.0.0.1:50000",
        reaper: new SocketReaper(silentLogger),
        onLogin: () => void logins++,
        tickets,
      });
      const done = session.run();
      sessions.push(done);
      clients.push(client);
      const frames = new FrameStream(client, { limits: CLIENT_READ_LIMITS });
      let nextId = 1;
      const h: Harness = {
        session,
        done,
        dataDir,
        store,
        logins: () => logins,
        conn: client,
        tickets,
        another: start,
        send: (type, payload, id = nextId++) =>
          frames.writeFrame(MessageType[type], id, encodeMessage(type, payload)),
        next: async () => {
          const frame = await frames.readFrame();
          return frame === null
            ? null
            : { id: frame.requestId, message: decodeServerMessage(frame) };
        },
        request: async (type, payload) => {
          await h.send(type, payload);
          const reply = await h.next();
          assert.ok(reply !== null, `no reply to ${type}: the connection closed`);
          return reply;
        },
        login: async (user, password) => {
          await h.request("hello", { protocol: [1], client: "test" });
          const challenge = await h.request("login_start", { user });
          assert.equal(challenge.message.type, "login_challenge");
          const { kdf } = challenge.message.payload as Payloads["login_challenge"];
          const keys = await deriveClientKeys(password, parseClientKdf(kdf));
          return await h.request("login_proof", { authKey: keys.authKey });
        },
      };
      return h;
    };
    const h = start();
    try {
      await body(h);
    } finally {
      for (const client of clients) client.close();
      await Promise.all(sessions);
      await close();
    }
  });
}

/** Asserts `reply` is an `error` with `code` under request id `id`. */
function assertError(reply: Reply | null, id: number, code: string): void {
  assert.ok(reply !== null, "an error reply, not a closed connection");
  assert.equal(reply.id, id);
  assert.equal(reply.message.type, "error");
  assert.equal((reply.message.payload as Payloads["error"]).code, code);
}

Deno.test("Session: hello, login, then the user's own repository; the close releases it", async () => {
  await withSession(async (h) => {
    const hello = await h.request("hello", { protocol: [1], client: "test" });
    assert.deepEqual(hello.message, {
      type: "hello_ok",
      payload: { protocol: 1, server: "burrow/0.1.0", signup: false, minPasswordLength: 8 },
    });
    const { kdf } = (await h.request("login_start", { user: "alice" })).message
      .payload as Payloads["login_challenge"];
    const keys = await deriveClientKeys("alice-pass", parseClientKdf(kdf));
    const loggedIn = await h.request("login_proof", { authKey: keys.authKey });
    assert.deepEqual(loggedIn.message, { type: "login_ok", payload: { user: "alice" } });
    assert.equal(h.logins(), 1);
    assert.deepEqual((await h.request("get_key", {})).message, { type: "key", payload: {} });
    const wrapped = wrapMasterKey(newMasterKey(), keys.keyEncryptionKey);
    assert.equal((await h.request("put_key", { wrapped })).message.type, "ok");
    assert.deepEqual((await h.request("get_key", {})).message.payload, { wrapped });
    assert.equal(await lockRepository(h.dataDir, "alice", 0), null, "the repository is open");
    h.conn.close();
    await h.done;
    const lock = await lockRepository(h.dataDir, "alice", 0);
    assert.ok(lock !== null, "the session's end released the repository");
    lock.release();
  });
});

Deno.test("Session: a temporary password allows only change_password, and the session goes on", async () => {
  await withSession(async (h) => {
    const loggedIn = await h.login("alice", "alice-pass");
    assert.equal(loggedIn.message.type, "login_ok");
    const wrapped = wrapMasterKey(newMasterKey(), new Uint8Array(32));
    const refused: [MessageName, Payloads[MessageName]][] = [
      ["list_snapshots", {}],
      ["get_key", {}],
      ["put_key", { wrapped }],
      ["list_chunks", {}],
      ["commit_snapshot", { id: "0123456789abcdef", record: new Uint8Array(10) }],
    ];
    for (const [type, payload] of refused) {
      await h.send(type, payload as never, 30);
      const reply = await h.next();
      assertError(reply, 30, "PASSWORD_EXPIRED");
      assert.match(
        (reply!.message.payload as Payloads["error"]).message,
        /^Cannot use this account yet: its password was set by an administrator; choose your own with burrow passwd$/,
      );
    }
    assert.equal(h.session.progress, 5, "still logged in");
    const credentials = await newCredentials("alices-own-pass", CHEAP_KDF);
    const changed = await h.request("change_password", {
      kdf: credentials.kdf,
      authKey: credentials.authKey,
    });
    assert.equal(changed.message.type, "ok");
    assert.equal((await h.request("list_snapshots", {})).message.type, "snapshots");
  }, { temporaryPassword: true });
});

Deno.test("Session: an account disabled while logged in is refused at its next request, which ends it", async () => {
  await withSession(async (h) => {
    assert.equal((await h.login("alice", "alice-pass")).message.type, "login_ok");
    assert.equal((await h.request("list_snapshots", {})).message.type, "snapshots");
    await h.store.update("alice", { disabled: true });
    await h.send("list_snapshots", {}, 40);
    const refused = await h.next();
    assertError(refused, 40, "AUTH_FAILED");
    assert.match((refused!.message.payload as Payloads["error"]).message, /account is disabled/);
    assert.equal(await h.next(), null, "the connection is closed");
  });
});

Deno.test("Session answers pipelined requests under their own ids, in order", async () => {
  await withSession(async (h) => {
    await h.login("alice", "alice-pass");
    await h.send("get_key", {}, 70);
    await h.send("list_snapshots", {}, 71);
    await h.send("list_chunks", {}, 72);
    const replies = [await h.next(), await h.next(), await h.next()];
    assert.deepEqual(replies.map((r) => [r?.id, r?.message.type]), [
      [70, "key"],
      [71, "snapshots"],
      [72, "chunk_ids"],
    ]);
  });
});

Deno.test("Session refuses a request before login and closes the connection", async () => {
  await withSession(async (h) => {
    await h.request("hello", { protocol: [1], client: "test" });
    await h.send("list_snapshots", {}, 9);
    assertError(await h.next(), 9, "PROTOCOL");
    assert.equal(await h.next(), null, "the server closed the connection");
    await h.done;
    assert.equal(h.logins(), 0);
  });
});

Deno.test("Session refuses a protocol version it does not speak", async () => {
  await withSession(async (h) => {
    await h.send("hello", { protocol: [99], client: "test" }, 1);
    assertError(await h.next(), 1, "UNSUPPORTED_VERSION");
    assert.equal(await h.next(), null);
  });
});

Deno.test("Session closes after a wrong password, and opens no repository", async () => {
  await withSession(async (h) => {
    const reply = await h.login("alice", "wrong");
    assertError(reply, reply.id, "AUTH_FAILED");
    assert.equal(await h.next(), null);
    await h.done;
    assert.equal(h.logins(), 0);
    const lock = await lockRepository(h.dataDir, "alice", 0);
    assert.ok(lock !== null);
    lock.release();
  });
});

Deno.test("Session reports a frame over the pre-login cap under request id 0 and closes", async () => {
  await withSession(async (h) => {
    // A header announcing a 1 MiB body: before login no frame may exceed the control cap.
    const header = new Uint8Array(9);
    new DataView(header.buffer).setUint32(0, 1024 * 1024);
    header[4] = MessageType.put_chunks;
    await h.conn.write(header);
    assertError(await h.next(), 0, "PROTOCOL");
    assert.equal(await h.next(), null);
  });
});

Deno.test("Session closes a client that stays silent past the handshake timeout", async () => {
  await withSession(async (h) => {
    await h.request("hello", { protocol: [1], client: "test" });
    await h.done;
    assert.equal(await h.next(), null, "closed without a word: the client sent nothing to answer");
  }, { limits: { handshakeTimeoutMs: 50 } });
});

Deno.test("Session.drain() ends a logged-in session with BUSY under request id 0", async () => {
  await withSession(async (h) => {
    await h.login("alice", "alice-pass");
    const drained = h.session.drain(1000);
    const goodbye = await h.next();
    assertError(goodbye, 0, "BUSY");
    assert.ok(/shutting down/.test((goodbye!.message.payload as Payloads["error"]).message));
    assert.equal(await h.next(), null, "then the server shuts its side");
    h.conn.close();
    await drained;
  });
});

Deno.test("Session allows 3 signups per connection, then refuses and closes", async () => {
  await withSession(async (h) => {
    const hello = await h.request("hello", { protocol: [1], client: "test" });
    assert.equal((hello.message.payload as Payloads["hello_ok"]).signup, true);
    for (const user of ["bob", "carol", "dave"]) {
      const { kdf, authKey } = await newCredentials("pw", CHEAP_KDF);
      assert.deepEqual((await h.request("signup", { user, kdf, authKey })).message, {
        type: "signup_ok",
        payload: { user },
      });
    }
    const { kdf, authKey } = await newCredentials("pw", CHEAP_KDF);
    await h.send("signup", { user: "erin", kdf, authKey }, 50);
    assertError(await h.next(), 50, "RATE_LIMITED");
    assert.equal(await h.next(), null);
  }, { allowSignup: true });
});

Deno.test("Session: a stream ticket logs another connection in to fetch chunks and nothing else", async () => {
  await withSession(async (h) => {
    assert.equal((await h.login("alice", "alice-pass")).message.type, "login_ok");
    const issued = await h.request("stream_ticket", {});
    assert.equal(issued.message.type, "stream_ticket_ok");
    const { ticket } = issued.message.payload as Payloads["stream_ticket_ok"];

    const stream = h.another();
    await stream.request("hello", { protocol: [1], client: "test" });
    const loggedIn = await stream.request("ticket_login", { ticket });
    assert.deepEqual(loggedIn.message, { type: "login_ok", payload: { user: "alice" } });
    const fetched = await stream.request("get_chunks", { ids: [new Uint8Array(32)] });
    assert.equal(fetched.message.type, "chunks");
    assert.equal((fetched.message.payload as Payloads["chunks"]).missing.length, 1);
    assertError(await stream.request("list_snapshots", {}), 4, "PROTOCOL");
    assert.equal(await stream.next(), null, "a refused request closes the ticket's connection");

    const again = h.another();
    await again.request("hello", { protocol: [1], client: "test" });
    await again.request("ticket_login", { ticket });
    assertError(await again.request("stream_ticket", {}), 3, "PROTOCOL");
  });
});

Deno.test("Session: a ticket is void once its connection closes, and a forged one fails the login", async () => {
  await withSession(async (h) => {
    await h.login("alice", "alice-pass");
    const { ticket } = (await h.request("stream_ticket", {})).message
      .payload as Payloads["stream_ticket_ok"];
    const forged = h.another();
    await forged.request("hello", { protocol: [1], client: "test" });
    assertError(
      await forged.request("ticket_login", { ticket: new Uint8Array(32) }),
      2,
      "AUTH_FAILED",
    );
    assert.equal(await forged.next(), null);

    h.conn.close();
    await h.done;
    assert.equal(h.tickets.size, 0);
    const late = h.another();
    await late.request("hello", { protocol: [1], client: "test" });
    assertError(await late.request("ticket_login", { ticket }), 2, "AUTH_FAILED");
  });
});

Deno.test("Session: no ticket before login, nor for a temporary password", async () => {
  await withSession(async (h) => {
    await h.request("hello", { protocol: [1], client: "test" });
    assertError(await h.request("stream_ticket", {}), 2, "PROTOCOL");
  });
  await withSession(async (h) => {
    await h.login("alice", "alice-pass");
    assertError(await h.request("stream_ticket", {}), 4, "PASSWORD_EXPIRED");
  }, { temporaryPassword: true });
});

/** A memory store whose reads wait until `open()`; it records the ids read, in order. */
class GatedChunkStore extends MemoryChunkStore {
  readonly reads: number[] = [];
  #open = Promise.withResolvers<void>();

  open(): void {
    this.#open.resolve();
  }

  override async readInto(id: Uint8Array, target: Uint8Array): Promise<void> {
    this.reads.push(id[0]!);
    await this.#open.promise;
    return await super.readInto(id, target);
  }
}

/** Resolves once `ready()` holds, checking every few milliseconds; fails after `ms`. */
async function eventually(ready: () => boolean, what: string, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > until) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("Session: a get_chunks is read while the one before is still fetching, and replies keep their order", async () => {
  const chunks = new GatedChunkStore();
  const id = (n: number) => new Uint8Array(32).fill(n);
  for (const n of [1, 2, 3]) await chunks.put(id(n), new Uint8Array(100 + n).fill(n));
  await withSession(async (h) => {
    await h.login("alice", "alice-pass");
    for (const n of [1, 2, 3]) await h.send("get_chunks", { ids: [id(n)] }, 100 + n);
    try {
      await eventually(() => chunks.reads.length >= 2, "the second request's blob is read");
      assert.deepEqual(chunks.reads, [1, 2], "two requests at once, the third waits");
    } finally {
      chunks.open();
    }
    for (const n of [1, 2, 3]) {
      const reply = await h.next();
      assert.equal(reply?.id, 100 + n);
      const payload = reply?.message.payload as Payloads["chunks"];
      assert.deepEqual(payload.blobs.map(({ blob }) => blob.length), [100 + n]);
    }
    const after = await h.request("list_snapshots", {});
    assert.equal(after.message.type, "snapshots");
  }, { openChunks: () => chunks });
});
