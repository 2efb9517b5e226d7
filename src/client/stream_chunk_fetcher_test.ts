import assert from "node:assert/strict";
import { DEFAULT_CLIENT_KDF_PARAMS } from "../auth/client_kdf.ts";
import { AuthError, NetworkError } from "../errors.ts";
import { silentLogger } from "../log.ts";
import {
  addTestUser,
  memoryConnPair,
  memoryRepositories,
  testAccounts,
} from "../server/_testing.ts";
import { DEFAULT_SERVER_LIMITS } from "../server/server.ts";
import { SessionHost } from "../server/session_host.ts";
import { inTempDir } from "../../tests/_testing.ts";
import { webHandler } from "../web/web_handler.ts";
import { BurrowClient } from "./burrow_client.ts";
import { StreamChunkFetcher } from "./stream_chunk_fetcher.ts";

interface Server {
  /** Alice, logged in over a connection of her own. */
  client: BurrowClient;
  /** The stream address. */
  url: string;
  /** `fetch` as the page's browser sends it: with the page's Origin. */
  pageFetch: typeof fetch;
}

/** A server with alice logged in, its web port on 127.0.0.1 (plain HTTP for the test). */
async function withServer(body: (server: Server) => Promise<void>): Promise<void> {
  await inTempDir(async (dataDir) => {
    const { accounts, store, close } = testAccounts({ clientKdfParams: DEFAULT_CLIENT_KDF_PARAMS });
    await addTestUser(store, "alice", "alice-pass", false, DEFAULT_CLIENT_KDF_PARAMS);
    const repositories = memoryRepositories(dataDir, store);
    const host = new SessionHost({
      accounts,
      repositories,
      limits: DEFAULT_SERVER_LIMITS,
      logger: silentLogger,
    });
    const { server, client: conn } = memoryConnPair();
    const serving = host.serve(server);
    const http: Deno.HttpServer<Deno.NetAddr> = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      webHandler({
        assets: new Map(),
        hosts: ["127.0.0.1"],
        sessions: host,
        localAddr: () => http.addr,
        logger: silentLogger,
      }),
    );
    const origin = `http://127.0.0.1:${http.addr.port}`;
    const client = await BurrowClient.start(conn);
    try {
      await client.login("alice", "alice-pass");
      await body({
        client,
        url: `${origin}/stream`,
        pageFetch: (input, init) =>
          fetch(input, { ...init, headers: { ...init?.headers, Origin: origin } }),
      });
    } finally {
      await client.close();
      await serving;
      await host.shutdown();
      await http.shutdown();
      await close();
    }
  });
}

function blob(seed: number, length: number): { id: Uint8Array; blob: Uint8Array } {
  return {
    id: new Uint8Array(32).fill(seed),
    blob: new Uint8Array(length).map((_, i) => (i * seed) & 0xff),
  };
}

Deno.test("StreamChunkFetcher fetches stored blobs through a ticket and names the missing ones", async () => {
  await withServer(async ({ client, url, pageFetch }) => {
    const stored = [blob(1, 1000), blob(2, 300_000)];
    await client.putChunks(stored).reply;
    const fetcher = new StreamChunkFetcher(url, await client.streamTicket(), pageFetch);
    const absent = new Uint8Array(32).fill(9);
    const reply = await fetcher.getChunks([stored[0]!.id, absent, stored[1]!.id]);
    assert.deepEqual(reply.blobs.map((b) => [...b.id]), [[...stored[0]!.id], [...stored[1]!.id]]);
    assert.deepEqual(reply.blobs[1]!.blob, stored[1]!.blob);
    assert.deepEqual(reply.missing, [absent]);
    const again = await fetcher.getChunks([stored[0]!.id]);
    assert.deepEqual(again.blobs[0]!.blob, stored[0]!.blob, "one ticket serves many requests");
  });
});

Deno.test("StreamChunkFetcher: a replaced ticket fails the login; another origin is refused", async () => {
  await withServer(async ({ client, url, pageFetch }) => {
    const old = await client.streamTicket();
    await client.streamTicket();
    const id = new Uint8Array(32);
    await assert.rejects(
      () => new StreamChunkFetcher(url, old, pageFetch).getChunks([id]),
      (error) => error instanceof AuthError && /ticket is not valid/.test(error.message),
    );
    const foreign: typeof fetch = (input, init) =>
      fetch(input, { ...init, headers: { ...init?.headers, Origin: "http://evil.example" } });
    await assert.rejects(
      () => new StreamChunkFetcher(url, old, foreign).getChunks([id]),
      (error) => error instanceof NetworkError && /answered 403/.test(error.message),
    );
  });
});
