import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import {
  CLOSE_TRANSPORT_ERROR,
  DEFAULT_WEBSOCKET_LIMITS,
  WebSocketConn,
  type WebSocketConnLimits,
} from "./websocket_conn.ts";

/** A plain-HTTP server on 127.0.0.1:0 whose WebSockets become `WebSocketConn`s. */
interface Pair {
  port: number;
  /** The next accepted connection (server side). */
  accepted(): Promise<WebSocketConn>;
  close(): Promise<void>;
}

function listen(limits: WebSocketConnLimits = DEFAULT_WEBSOCKET_LIMITS): Pair {
  const waiting: ((conn: WebSocketConn) => void)[] = [];
  const ready: WebSocketConn[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request, info) => {
    const remoteAddr = info.remoteAddr; // not readable once the request is upgraded
    const { socket, response } = Deno.upgradeWebSocket(request);
    const conn = new WebSocketConn(socket, { localAddr: server.addr, remoteAddr }, limits);
    const take = waiting.shift();
    if (take === undefined) ready.push(conn);
    else take(conn);
    return response;
  });
  return {
    port: server.addr.port,
    accepted: () => {
      const conn = ready.shift();
      return conn !== undefined ? Promise.resolve(conn) : new Promise((r) => waiting.push(r));
    },
    close: () => server.shutdown(),
  };
}

/** A browser-like client: opens, and collects the binary messages and the close it gets. */
async function openClient(port: number) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  socket.binaryType = "arraybuffer";
  const messages: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  socket.onmessage = (event) => {
    messages.push(new Uint8Array(event.data as ArrayBuffer));
    wake?.();
  };
  const closed = new Promise<CloseEvent>((resolve) => (socket.onclose = resolve));
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  return {
    socket,
    messages,
    closed,
    /** Resolves once `count` messages are in. */
    async received(count: number): Promise<Uint8Array[]> {
      while (messages.length < count) await new Promise<void>((resolve) => (wake = resolve));
      return messages.slice(0, count);
    },
  };
}

/** Reads from `conn` with a buffer of `size` until `total` bytes are in. */
async function readExactly(conn: WebSocketConn, total: number, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(total);
  let at = 0;
  while (at < total) {
    const buffer = new Uint8Array(Math.min(size, total - at));
    const n = await conn.read(buffer);
    assert.ok(n !== null, `end of stream after ${at} of ${total} bytes`);
    out.set(buffer.subarray(0, n), at);
    at += n;
  }
  return out;
}

Deno.test("WebSocketConn.read() returns the bytes of binary messages in order, then null once the client closes", async () => {
  const pair = listen();
  const client = await openClient(pair.port);
  const conn = await pair.accepted();
  await conn.handshake();
  const sent = Uint8Array.from({ length: 3000 }, (_, i) => i % 251);
  for (const [from, to] of [[0, 1], [1, 1000], [1000, 1001], [1001, 3000]]) {
    client.socket.send(sent.slice(from, to));
  }
  client.socket.send(new Uint8Array(0));
  assert.deepEqual(await readExactly(conn, 3000, 7), sent, "messages split and joined by reads");
  client.socket.close();
  assert.equal(await conn.read(new Uint8Array(10)), null);
  conn.close();
  await pair.close();
});

Deno.test("WebSocketConn.write() sends what p held as messages of at most 64 KiB, though p is reused at once", async () => {
  const pair = listen();
  const client = await openClient(pair.port);
  const conn = await pair.accepted();
  await conn.handshake();
  const buffer = new Uint8Array(100_000).fill(1);
  assert.equal(await conn.write(buffer.subarray(10, 50_010)), 50_000);
  buffer.fill(2);
  buffer.buffer.transfer(0);
  const shared = new Uint8Array(new SharedArrayBuffer(5)).fill(3);
  assert.equal(await conn.write(shared), 5);
  const large = new Uint8Array(150_000).map((_, i) => i % 251);
  assert.equal(await conn.write(large), 150_000);
  const [first, second, ...pieces] = await client.received(5);
  assert.deepEqual(first, new Uint8Array(50_000).fill(1));
  assert.deepEqual(second, new Uint8Array(5).fill(3));
  assert.deepEqual(pieces.map((piece) => piece.length), [65_536, 65_536, 18_928]);
  assert.deepEqual(new Uint8Array(pieces.flatMap((piece) => [...piece])), large);
  await conn.closeWrite();
  const closed = await client.closed;
  assert.equal(closed.code, 1000);
  await assert.rejects(
    conn.write(new Uint8Array(1)),
    /Cannot write to the WebSocket: it is closed/,
  );
  await pair.close();
});

Deno.test("WebSocketConn closes on a text message, and reads fail with a ProtocolError", async () => {
  const pair = listen();
  const client = await openClient(pair.port);
  const conn = await pair.accepted();
  await conn.handshake();
  client.socket.send(new Uint8Array([1, 2, 3]));
  client.socket.send("hello");
  const closed = await client.closed;
  assert.equal(closed.code, CLOSE_TRANSPORT_ERROR);
  assert.match(closed.reason, /text message/);
  await assert.rejects(
    conn.read(new Uint8Array(10)),
    (error) => error instanceof ProtocolError && /binary messages only/.test(error.message),
  );
  await pair.close();
});

Deno.test("WebSocketConn bounds what waits unread: closes past the limit, a larger one after loggedIn()", async () => {
  const limits = { maxUnreadBeforeLogin: 1000, maxUnread: 3000, maxUnsent: 1 << 20 };
  const pair = listen(limits);
  const before = await openClient(pair.port);
  const beforeConn = await pair.accepted();
  await beforeConn.handshake();
  before.socket.send(new Uint8Array(600));
  before.socket.send(new Uint8Array(600));
  const refused = await before.closed;
  assert.equal(refused.code, CLOSE_TRANSPORT_ERROR);
  assert.match(refused.reason, /more than 1000 bytes the server has not read yet/);
  await assert.rejects(beforeConn.read(new Uint8Array(10)), ProtocolError);

  const after = await openClient(pair.port);
  const afterConn = await pair.accepted();
  await afterConn.handshake();
  afterConn.loggedIn();
  after.socket.send(new Uint8Array(1200).fill(7));
  after.socket.send(new Uint8Array(1200).fill(8));
  const echo = new Uint8Array(1);
  after.socket.send(echo); // after the two messages: once it is read, they all were queued
  assert.deepEqual(
    await readExactly(afterConn, 2401, 5000),
    new Uint8Array([
      ...new Uint8Array(1200).fill(7),
      ...new Uint8Array(1200).fill(8),
      0,
    ]),
  );
  after.socket.send(new Uint8Array(3001));
  assert.equal((await after.closed).code, CLOSE_TRANSPORT_ERROR);
  await pair.close();
});

Deno.test("WebSocketConn.write() waits while the client does not read, and goes on when it does", async () => {
  const limits = { ...DEFAULT_WEBSOCKET_LIMITS, maxUnsent: 2 << 20 };
  const pair = listen(limits);
  // A raw client that upgrades, then reads nothing until told to.
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port: pair.port });
  await tcp.write(new TextEncoder().encode(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${pair.port}\r\nUpgrade: websocket\r\n` +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Sec-WebSocket-Version: 13\r\n\r\n",
  ));
  const conn = await pair.accepted();
  await conn.handshake();
  const message = new Uint8Array(1 << 20);
  const count = 64;
  let written = 0;
  const writing = (async () => {
    for (let i = 0; i < count; i++) {
      await conn.write(message);
      written++;
    }
  })();
  // Let the kernel's socket buffers fill; the writer must then be stuck, not done.
  let last = -1;
  while (written !== last) {
    last = written;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok(written < count, `all ${count} MiB were taken although the client read nothing`);
  let total = 0;
  const buffer = new Uint8Array(1 << 20);
  const everything = count * ((1 << 20) + 10); // each message has a 10-byte header
  while (total < everything) {
    const n = await tcp.read(buffer);
    if (n === null) break;
    total += n;
  }
  await writing;
  assert.equal(written, count);
  conn.close();
  tcp.close();
  await pair.close();
});

Deno.test("WebSocketConn closed before its socket opened fails its handshake at once, and the socket closes once open", async () => {
  let conn: WebSocketConn | undefined;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request, info) => {
    const remoteAddr = info.remoteAddr; // not readable once the request is upgraded
    const { socket, response } = Deno.upgradeWebSocket(request);
    conn = new WebSocketConn(socket, { localAddr: server.addr, remoteAddr });
    conn.close();
    return response;
  });
  try {
    const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}/ws`);
    const closed = new Promise<CloseEvent>((resolve) => (client.onclose = resolve));
    const timeout = (ms: number) =>
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms));
    const event = await Promise.race([closed, timeout(2000)]);
    assert.notEqual(event, "timeout", "the client's socket is still open");
    const handshake = await Promise.race([
      conn!.handshake().then(() => "open", (error: Error) => error.message),
      timeout(100),
    ]);
    assert.equal(handshake, "Cannot open the WebSocket: it closed before it opened");
  } finally {
    await server.shutdown();
  }
});
