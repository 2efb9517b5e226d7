import assert from "node:assert/strict";
import { NetworkError } from "../errors.ts";
import { openWebSocket } from "./websocket_connection.ts";

/** A WebSocket server on 127.0.0.1 whose socket `onOpen` drives; closes with the test. */
async function withServer(
  onOpen: (socket: WebSocket) => void,
  body: (url: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    socket.addEventListener("open", () => onOpen(socket));
    return response;
  });
  try {
    await body(`ws://127.0.0.1:${server.addr.port}/ws`);
  } finally {
    await server.shutdown();
  }
}

async function readAll(conn: { read(p: Uint8Array): Promise<number | null> }, size: number) {
  const out: number[] = [];
  const buffer = new Uint8Array(size);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) return new Uint8Array(out);
    out.push(...buffer.subarray(0, n));
  }
}

Deno.test("a WebSocket connection reads the bytes of several messages in order, in any read size", async () => {
  await withServer((socket) => {
    socket.send(new Uint8Array([1, 2, 3, 4, 5]));
    socket.send(new Uint8Array([6]));
    socket.send(new Uint8Array([7, 8, 9]));
    socket.close();
  }, async (url) => {
    const conn = await openWebSocket(url);
    assert.deepEqual([...await readAll(conn, 2)], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

Deno.test("a WebSocket connection's writes arrive as binary messages, and fail once it is closed", async () => {
  await withServer((socket) => {
    socket.addEventListener("message", (event) => {
      socket.send(new Uint8Array(event.data as ArrayBuffer).map((b) => b + 1));
      socket.close();
    });
  }, async (url) => {
    const conn = await openWebSocket(url);
    const sent = new Uint8Array([10, 20, 30]);
    assert.deepEqual(await conn.write(sent), 3);
    sent.fill(0); // the message was copied when sent
    assert.deepEqual([...await readAll(conn, 16)], [11, 21, 31]);
    await assert.rejects(
      () => conn.write(new Uint8Array([1])),
      (e) => e instanceof NetworkError && e.message.includes("closed"),
    );
  });
});

Deno.test("a WebSocket connection refuses a text message from the server", async () => {
  await withServer((socket) => socket.send("hello"), async (url) => {
    const conn = await openWebSocket(url);
    await assert.rejects(
      () => conn.read(new Uint8Array(8)),
      (e) => e instanceof NetworkError && e.message.includes("text message"),
    );
  });
});

Deno.test("openWebSocket() says when nothing answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assert.rejects(
    () => openWebSocket(`ws://127.0.0.1:${port}/ws`),
    (e) =>
      e instanceof NetworkError && e.message.includes("refused the connection or is not running"),
  );
});

Deno.test("closeWrite() ends the connection for the server", async () => {
  let closed!: () => void;
  const serverSawClose = new Promise<void>((resolve) => (closed = resolve));
  await withServer((socket) => {
    socket.addEventListener("close", () => closed());
  }, async (url) => {
    const conn = await openWebSocket(url);
    await conn.closeWrite();
    await serverSawClose;
    assert.deepEqual(await conn.read(new Uint8Array(4)), null);
  });
});
