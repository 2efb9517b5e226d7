import assert from "node:assert/strict";
import { NetworkError, ProtocolError } from "../errors.ts";
import { bytesEqual, FakeConn, patternBytes } from "./_test_util.ts";
import { concatBytes } from "../concat_bytes.ts";
import { encodeFrame, type Frame, FrameDecoder } from "./frame.ts";
import { FRAME_HEADER_SIZE, UNCHECKED_LIMITS } from "./frame_limits.ts";
import { type ByteStream, FrameStream } from "./frame_stream.ts";

const MiB = 1024 * 1024;

/** Writes `frames` through a FrameStream over a FakeConn and returns the bytes it wrote. */
async function writeAll(frames: readonly Frame[], seed: number): Promise<FakeConn> {
  const conn = new FakeConn({ seed, maxWrite: 63 * 1024 });
  const stream = new FrameStream(conn);
  for (const f of frames) await stream.writeFrame(f.type, f.requestId, f.payload);
  return conn;
}

/** Reads every frame from `bytes` through a FrameStream over a FakeConn with short reads. */
async function readAll(bytes: Uint8Array, seed: number): Promise<Frame[]> {
  const stream = new FrameStream(new FakeConn({ incoming: bytes, seed, maxRead: 16 * 1024 }), {
    limits: UNCHECKED_LIMITS,
  });
  const frames: Frame[] = [];
  for (let frame = await stream.readFrame(); frame !== null; frame = await stream.readFrame()) {
    frames.push(frame);
  }
  return frames;
}

Deno.test("FrameStream round-trips a 16 MiB frame over short reads and partial writes", async () => {
  const payload = patternBytes(16 * MiB, 3);
  const conn = await writeAll([{ type: 40, requestId: 9, payload }], 7);
  assert.ok(conn.writeSizes.length > 16 * MiB / (63 * 1024));
  assert.ok(conn.writeSizes.every((n) => n <= 63 * 1024));
  const frames = await readAll(conn.output(), 11);
  assert.equal(frames.length, 1);
  assert.equal(frames[0]?.requestId, 9);
  assert.ok(frames[0] !== undefined && bytesEqual(frames[0].payload, payload));
});

Deno.test("FrameStream round-trips 1000 small frames over short reads", async () => {
  const frames: Frame[] = Array.from({ length: 1000 }, (_, i) => ({
    type: i % 256,
    requestId: i * 4099,
    payload: patternBytes(i % 97, i),
  }));
  const conn = await writeAll(frames, 5);
  const read = await readAll(conn.output(), 6);
  assert.equal(read.length, frames.length);
  read.forEach((f, i) => {
    const sent = frames[i] as Frame;
    assert.deepEqual([f.type, f.requestId], [sent.type, sent.requestId]);
    assert.ok(bytesEqual(f.payload, sent.payload), `frame ${i}`);
  });
});

Deno.test("FrameStream.readFrame() returns null on end of stream at a boundary", async () => {
  const stream = new FrameStream(new FakeConn({ incoming: encodeFrame(1, 0, new Uint8Array(3)) }));
  assert.equal((await stream.readFrame())?.type, 1);
  assert.equal(await stream.readFrame(), null);
  assert.equal(await stream.readFrame(), null);
});

Deno.test("FrameStream.readFrame() throws ProtocolError on end of stream mid-frame", async () => {
  const whole = encodeFrame(1, 0, new Uint8Array(100));
  for (const cut of [1, 4, 5, 9, 50, whole.length - 1]) {
    const stream = new FrameStream(new FakeConn({ incoming: whole.subarray(0, cut) }));
    await assert.rejects(stream.readFrame(), ProtocolError, `cut at ${cut}`);
  }
});

Deno.test("FrameStream.readFrame() throws ProtocolError on an oversized length", async () => {
  const incoming = new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
  const stream = new FrameStream(new FakeConn({ incoming }));
  await assert.rejects(stream.readFrame(), /exceeds the limit/);
  await assert.rejects(stream.readFrame(), ProtocolError);
});

Deno.test("FrameStream.readFrame() serves concurrent readers in order", async () => {
  const incoming = concatBytes([1, 2, 3].map((id) => encodeFrame(1, id, new Uint8Array(id))));
  const stream = new FrameStream(new FakeConn({ incoming, maxRead: 3 }));
  const frames = await Promise.all([stream.readFrame(), stream.readFrame(), stream.readFrame()]);
  assert.deepEqual(frames.map((f) => f?.requestId), [1, 2, 3]);
});

Deno.test("FrameStream.writeFrame() never interleaves concurrent frames", async () => {
  const conn = new FakeConn({ seed: 3, maxWrite: 20_000, slowWrites: true });
  const stream = new FrameStream(conn);
  const sizes = [10, 200_000, 70_000, 0, 65_536, 65_537, 3, 150_000];
  await Promise.all(sizes.map((n, i) => stream.writeFrame(1, i, new Uint8Array(n).fill(i + 1))));
  const frames = new FrameDecoder(UNCHECKED_LIMITS).push(conn.output());
  assert.deepEqual(frames.map((f) => f.requestId), sizes.map((_, i) => i));
  frames.forEach((f, i) => {
    assert.equal(f.payload.length, sizes[i]);
    assert.ok(f.payload.every((b) => b === i + 1), `frame ${i} is not interleaved`);
  });
});

Deno.test("FrameStream.writeFrame() rejects a bad frame without breaking the stream", async () => {
  const conn = new FakeConn();
  const stream = new FrameStream(conn);
  await assert.rejects(stream.writeFrame(256, 0, new Uint8Array(0)), RangeError);
  await stream.writeFrame(2, 0, new Uint8Array(0));
  assert.equal(conn.output().length, FRAME_HEADER_SIZE);
});

Deno.test("FrameStream.writeFrame() fails for good after a failed write", async () => {
  let calls = 0;
  const conn: ByteStream = {
    read: () => Promise.resolve(null),
    write: () => (++calls === 1 ? Promise.reject(new Error("reset")) : Promise.resolve(0)),
    close: () => {},
  };
  const stream = new FrameStream(conn);
  await assert.rejects(stream.writeFrame(1, 0, new Uint8Array(1)), /reset/);
  await assert.rejects(stream.writeFrame(1, 1, new Uint8Array(1)), /reset/);
  assert.equal(calls, 1);
});

Deno.test("FrameStream.writeFrame() throws NetworkError when a write takes 0 bytes", async () => {
  const conn: ByteStream = {
    read: () => Promise.resolve(null),
    write: () => Promise.resolve(0),
    close: () => {},
  };
  await assert.rejects(new FrameStream(conn).writeFrame(1, 0, new Uint8Array(1)), NetworkError);
});

Deno.test("FrameStream.close() closes the connection once", () => {
  let closes = 0;
  const conn: ByteStream = {
    read: () => Promise.resolve(null),
    write: (p) => Promise.resolve(p.length),
    close: () => void closes++,
  };
  const stream = new FrameStream(conn);
  stream.close();
  stream.close();
  assert.equal(closes, 1);
  assert.throws(() => new FrameStream(conn, { readBufferSize: 0 }), RangeError);
});

Deno.test("FrameStream.writeFrameParts() writes the same bytes as writeFrame() of the joined parts", async () => {
  const parts = [
    patternBytes(4, 1),
    patternBytes(36, 2),
    patternBytes(70_000, 3),
    patternBytes(36, 4),
    patternBytes(50_000, 5),
    patternBytes(36, 6),
    patternBytes(20_000, 7),
    patternBytes(0, 8),
    patternBytes(2 * MiB, 9),
  ];
  const joined = new FakeConn({ seed: 3 });
  await new FrameStream(joined).writeFrame(39, 5, concatBytes(parts));
  const gathered = new FakeConn({ seed: 3 });
  const stream = new FrameStream(gathered);
  await Promise.all([
    stream.writeFrameParts(39, 5, parts),
    stream.writeFrame(4, 6, patternBytes(10, 9)),
  ]);
  const expected = concatBytes([joined.output(), encodeFrame(4, 6, patternBytes(10, 9))]);
  assert.ok(bytesEqual(gathered.output(), expected));
  const frames = await readAll(gathered.output(), 5);
  assert.deepEqual(frames.map((f) => f.requestId), [5, 6]);
});
