import assert from "node:assert/strict";
import { BurrowError } from "../errors.ts";
import { encodeMessage, FrameStream, MessageType, SERVER_READ_LIMITS } from "../protocol/mod.ts";
import { RpcChannel } from "./rpc_channel.ts";

/** A client channel over a real TCP pair on 127.0.0.1, and the server's side as frames. */
async function channelPair(): Promise<{ client: RpcChannel; server: FrameStream; end(): void }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [clientConn, serverConn] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  listener.close();
  const server = new FrameStream(serverConn, { limits: SERVER_READ_LIMITS });
  return { client: new RpcChannel(clientConn), server, end: () => server.close() };
}

Deno.test("RpcChannel: an error with request id 0 rejects every pending and later request", async () => {
  const { client, server, end } = await channelPair();
  try {
    const first = client.request("list_snapshots", {}, "snapshots");
    const second = client.request("get_key", {}, "key");
    first.catch(() => {});
    second.catch(() => {});
    assert.equal((await server.readFrame())?.type, MessageType.list_snapshots);
    assert.equal((await server.readFrame())?.type, MessageType.get_key);
    const busy = { code: "BUSY", message: "Cannot continue: the server is shutting down" } as const;
    await server.writeFrame(MessageType.error, 0, encodeMessage("error", busy));
    end();
    for (const pending of [first, second, client.request("get_key", {}, "key")]) {
      await assert.rejects(pending, (error) => {
        assert.ok(error instanceof BurrowError);
        assert.equal(error.code, "BUSY");
        assert.equal(error.message, busy.message);
        return true;
      });
    }
  } finally {
    end();
    await client.close();
  }
});

Deno.test("RpcChannel: a server that closes without a reason fails pending requests as NETWORK", async () => {
  const { client, server, end } = await channelPair();
  try {
    const pending = client.request("list_snapshots", {}, "snapshots");
    pending.catch(() => {});
    await server.readFrame();
    end();
    await assert.rejects(pending, /the server closed the connection/);
  } finally {
    await client.close();
  }
});
