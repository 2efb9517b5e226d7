import assert from "node:assert/strict";
import { NetworkError, ProtocolError } from "../errors.ts";
import { HttpStreamConn } from "./http_stream_conn.ts";

const ADDRS = {
  localAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 7444 },
  remoteAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 50000 },
};

function bodyOf(...parts: number[][]): ReadableStream<Uint8Array> {
  return ReadableStream.from(parts.map((part) => new Uint8Array(part)));
}

async function readAll(conn: HttpStreamConn, size = 2): Promise<number[]> {
  const out: number[] = [];
  const buffer = new Uint8Array(size);
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    out.push(...buffer.subarray(0, n));
  }
  return out;
}

Deno.test("HttpStreamConn reads the request body across its pieces, then null", async () => {
  const conn = new HttpStreamConn(bodyOf([1, 2, 3], [], [4]), ADDRS);
  assert.deepEqual(await readAll(conn), [1, 2, 3, 4]);
  assert.deepEqual(await readAll(new HttpStreamConn(null, ADDRS)), []);
});

Deno.test("HttpStreamConn refuses a request body over its limit", async () => {
  const conn = new HttpStreamConn(bodyOf([1, 2, 3], [4, 5, 6]), ADDRS, {
    maxRequestBytes: 5,
    maxUnsent: 1024,
  });
  await assert.rejects(() => readAll(conn, 8), ProtocolError);
});

Deno.test("HttpStreamConn sends copies of what is written, and a write waits while too much is unsent", async () => {
  const conn = new HttpStreamConn(null, ADDRS, { maxRequestBytes: 16, maxUnsent: 4 });
  const bytes = new Uint8Array([1, 2, 3, 4, 5]);
  let written = false;
  const write = conn.write(bytes).then(() => (written = true));
  bytes.fill(0); // the caller may reuse its buffer: what was queued is a copy
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(written, false, "5 bytes unsent are more than the 4 allowed");
  const reader = conn.response.getReader();
  assert.deepEqual((await reader.read()).value, new Uint8Array([1, 2, 3, 4, 5]));
  await write;
  await conn.closeWrite();
  assert.equal((await reader.read()).done, true);
  await assert.rejects(() => conn.write(new Uint8Array([1])), NetworkError);
});

Deno.test("HttpStreamConn: a client that goes away fails the writes and ends the reads", async () => {
  const conn = new HttpStreamConn(bodyOf([1]), ADDRS, { maxRequestBytes: 16, maxUnsent: 1 });
  const write = conn.write(new Uint8Array([1, 2]));
  await conn.response.cancel();
  await write;
  await assert.rejects(() => conn.write(new Uint8Array([3])), NetworkError);
  assert.equal(await conn.read(new Uint8Array(4)), null);
});
