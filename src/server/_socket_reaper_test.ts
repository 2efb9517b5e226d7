import assert from "node:assert/strict";
import { silentLogger } from "../log.ts";
import { SocketReaper } from "./_socket_reaper.ts";

/** A connected pair of TCP connections on 127.0.0.1: [server side, client side]. */
async function tcpPair(listener: Deno.Listener): Promise<[Deno.Conn, Deno.Conn]> {
  const addr = listener.addr as Deno.NetAddr;
  const [client, server] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: addr.port }),
    listener.accept(),
  ]);
  return [server, client];
}

/** Resolves with what a read of `conn` returned within `ms`: null (EOF), a count, or "pending". */
function readWithin(conn: Deno.Conn, ms: number): Promise<number | null | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Promise<"pending">((resolve) => (timer = setTimeout(resolve, ms, "pending")));
  const read = conn.read(new Uint8Array(16)).catch(() => null);
  return Promise.race([read, pending]).finally(() => clearTimeout(timer));
}

Deno.test("SocketReaper.reap() shuts down exactly the socket with the given endpoints", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [serverA, clientA] = await tcpPair(listener);
  const [serverB, clientB] = await tcpPair(listener);
  try {
    const reaper = new SocketReaper(silentLogger);
    reaper.reap(serverA.localAddr, serverA.remoteAddr);
    assert.equal(await readWithin(clientA, 2000), null, "the reaped connection's peer sees EOF");
    assert.equal(await readWithin(clientB, 300), "pending", "the other connection is untouched");
    await clientB.write(new Uint8Array([7]));
    assert.equal(await readWithin(serverB, 2000), 1);
  } finally {
    for (const conn of [serverA, clientA, serverB, clientB]) conn.close();
    listener.close();
  }
});

Deno.test("SocketReaper.reap() does nothing where the descriptor list cannot be read", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [server, client] = await tcpPair(listener);
  const warnings: string[] = [];
  try {
    const reaper = new SocketReaper(
      { ...silentLogger, warn: (message) => warnings.push(message) },
      "/nonexistent/fd",
    );
    reaper.reap(server.localAddr, server.remoteAddr);
    reaper.reap(server.localAddr, server.remoteAddr);
    assert.equal(await readWithin(client, 300), "pending");
    reaper.reap(server.localAddr, server.remoteAddr);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(warnings.length, 1, "logged once");
  } finally {
    server.close();
    client.close();
    listener.close();
  }
});
