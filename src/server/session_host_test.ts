import assert from "node:assert/strict";
import { deriveClientKeys, parseClientKdf } from "../auth/mod.ts";
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
import { inTempDir } from "../../tests/_testing.ts";
import { addTestUser, memoryConnPair, memoryRepositories, testAccounts } from "./_testing.ts";
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from "./server.ts";
import { SessionHost } from "./session_host.ts";

/** A client's end of one in-memory connection the host serves. */
interface TestClient {
  /** Resolves when the host's `serve` does. */
  done: Promise<void>;
  /** Times the host told the connection that its client logged in. */
  logins(): number;
  request<T extends MessageName>(type: T, payload: Payloads[T]): Promise<ServerMessage | null>;
  /** The next message, or null once the server closed the connection. */
  next(): Promise<{ id: number; message: ServerMessage } | null>;
  close(): void;
}

async function withHost(
  limits: Partial<ServerLimits>,
  body: (connect: () => TestClient, host: SessionHost) => Promise<void>,
): Promise<void> {
  await inTempDir(async (dataDir) => {
    const { accounts, store, close } = testAccounts();
    await addTestUser(store, "alice", "alice-pass");
    const repositories = memoryRepositories(dataDir, store);
    const host = new SessionHost({
      accounts,
      repositories,
      limits: { ...DEFAULT_SERVER_LIMITS, shutdownGraceMs: 1000, ...limits },
      logger: silentLogger,
    });
    const clients: TestClient[] = [];
    const connect = (): TestClient => {
      const { server, client } = memoryConnPair();
      let logins = 0;
      const done = host.serve(Object.assign(server, { loggedIn: () => void logins++ }));
      const frames = new FrameStream(client, { limits: CLIENT_READ_LIMITS });
      let nextId = 1;
      const next = async () => {
        const frame = await frames.readFrame();
        return frame === null ? null : { id: frame.requestId, message: decodeServerMessage(frame) };
      };
      const testClient: TestClient = {
        done,
        logins: () => logins,
        next,
        request: async (type, payload) => {
          await frames.writeFrame(MessageType[type], nextId++, encodeMessage(type, payload));
          return (await next())?.message ?? null;
        },
        close: () => client.close(),
      };
      clients.push(testClient);
      return testClient;
    };
    try {
      await body(connect, host);
    } finally {
      for (const client of clients) client.close();
      await Promise.all(clients.map((client) => client.done));
      await close();
    }
  });
}

/** Asserts that the server's next message is `error` BUSY under request id 0, then the end. */
async function assertToldBusy(client: TestClient, message: RegExp): Promise<void> {
  const goodbye = await client.next();
  assert.equal(goodbye?.id, 0);
  assert.equal(goodbye?.message.type, "error");
  const payload = goodbye?.message.payload as Payloads["error"];
  assert.equal(payload.code, "BUSY");
  assert.match(payload.message, message);
  assert.equal(await client.next(), null, "then the connection closes");
  client.close();
}

Deno.test("SessionHost.serve() keeps one pre-login pool: a newcomer evicts the idle one, told BUSY", async () => {
  await withHost({ maxUnauthenticated: 1, maxUnauthenticatedPerAddress: 1 }, async (connect) => {
    const idle = connect();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const newcomer = connect();
    await assertToldBusy(idle, /the server is busy/);
    const hello = await newcomer.request("hello", { protocol: [1], client: "test" });
    assert.equal(hello?.type, "hello_ok", "the newcomer is served");
  });
});

Deno.test("SessionHost.serve() tells the connection once its client logged in", async () => {
  await withHost({}, async (connect, host) => {
    const client = connect();
    await client.request("hello", { protocol: [1], client: "test" });
    const challenge = await client.request("login_start", { user: "alice" });
    assert.equal(client.logins(), 0);
    const { kdf } = challenge?.payload as Payloads["login_challenge"];
    const keys = await deriveClientKeys("alice-pass", parseClientKdf(kdf));
    assert.equal(
      (await client.request("login_proof", { authKey: keys.authKey }))?.type,
      "login_ok",
    );
    assert.equal(client.logins(), 1);
    assert.equal(host.size, 1);
  });
});

Deno.test("SessionHost.shutdown() ends every session with BUSY, and one handed over later at once", async () => {
  await withHost({}, async (connect, host) => {
    const first = connect();
    assert.equal(
      (await first.request("hello", { protocol: [1], client: "test" }))?.type,
      "hello_ok",
    );
    const stopped = host.shutdown();
    await assertToldBusy(first, /shutting down/);
    await stopped;
    assert.equal(host.size, 0);
    const late = connect();
    assert.equal(await late.next(), null, "a connection handed over after shutdown is closed");
    await late.done;
    assert.equal(host.size, 0);
  });
});
