import assert from "node:assert/strict";
import fc from "fast-check";
import { ProtocolError } from "../errors.ts";
import { bytesEqual, patternBytes, seededRandom } from "./_test_util.ts";
import { concatBytes } from "../concat_bytes.ts";
import { encodeFrame, encodeFrameHeader, type Frame, FrameDecoder } from "./frame.ts";
import {
  FRAME_HEADER_SIZE,
  MAX_CONTROL_PAYLOAD,
  MAX_FRAME_BODY,
  PROTOCOL_LIMITS,
  SERVER_PRE_LOGIN_LIMITS,
  SERVER_READ_LIMITS,
  UNCHECKED_LIMITS,
} from "./frame_limits.ts";
import { MessageType } from "./message_type.ts";

const SAMPLE: Frame[] = [
  { type: 1, requestId: 0, payload: new TextEncoder().encode('{"a":1}') },
  { type: 3, requestId: 0xffff_ffff, payload: new Uint8Array(0) },
  { type: 33, requestId: 7, payload: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff) },
  { type: 255, requestId: 0x0102_0304, payload: new Uint8Array([0, 0, 0, 0, 0]) },
];
const SAMPLE_BYTES = concatBytes(SAMPLE.map((f) => encodeFrame(f.type, f.requestId, f.payload)));

function plain(frames: readonly Frame[]): unknown[] {
  return frames.map((f) => ({ type: f.type, requestId: f.requestId, payload: [...f.payload] }));
}

/** Decodes `bytes` fed as the given pieces, checking that nothing is left over. */
function decodeSplit(bytes: Uint8Array, cuts: readonly number[]): Frame[] {
  const decoder = new FrameDecoder(UNCHECKED_LIMITS);
  const frames: Frame[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    frames.push(...decoder.push(bytes.subarray(start, cut)));
    start = cut;
  }
  assert.equal(decoder.bufferedBytes, 0);
  return frames;
}

Deno.test("encodeFrame() writes length, type, request id and payload big-endian", () => {
  const bytes = encodeFrame(0x21, 0x0a0b0c0d, new Uint8Array([9, 8]));
  assert.deepEqual([...bytes], [0, 0, 0, 7, 0x21, 0x0a, 0x0b, 0x0c, 0x0d, 9, 8]);
});

Deno.test("encodeFrameHeader() refuses a bad type, request id or length", () => {
  assert.throws(() => encodeFrameHeader(256, 0, 0), RangeError);
  assert.throws(() => encodeFrameHeader(-1, 0, 0), RangeError);
  assert.throws(() => encodeFrameHeader(1, 2 ** 32, 0), RangeError);
  assert.throws(() => encodeFrameHeader(1, 0.5, 0), RangeError);
  assert.throws(() => encodeFrameHeader(1, 0, MAX_FRAME_BODY - 4), RangeError);
  assert.equal(encodeFrameHeader(1, 0, MAX_FRAME_BODY - 5).length, FRAME_HEADER_SIZE);
});

Deno.test("FrameDecoder.push() decodes input fed one byte at a time", () => {
  const cuts = Array.from({ length: SAMPLE_BYTES.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(plain(decodeSplit(SAMPLE_BYTES, cuts)), plain(SAMPLE));
});

Deno.test("FrameDecoder.push() decodes input split in two at every point", () => {
  for (let cut = 0; cut <= SAMPLE_BYTES.length; cut++) {
    assert.deepEqual(plain(decodeSplit(SAMPLE_BYTES, [cut])), plain(SAMPLE), `cut at ${cut}`);
  }
});

Deno.test("FrameDecoder.push() decodes input split in three at every pair of points", () => {
  const firstTwo = SAMPLE.slice(0, 2).reduce((n, f) => n + FRAME_HEADER_SIZE + f.payload.length, 0);
  const small = SAMPLE_BYTES.subarray(0, firstTwo);
  const expected = plain(SAMPLE.slice(0, 2));
  for (let a = 0; a <= small.length; a++) {
    for (let b = a; b <= small.length; b++) {
      assert.deepEqual(plain(decodeSplit(small, [a, b])), expected, `cuts at ${a}, ${b}`);
    }
  }
});

Deno.test("FrameDecoder.push() decodes input split at random points", () => {
  const random = seededRandom(42);
  for (let round = 0; round < 500; round++) {
    const cuts = Array.from(
      { length: 1 + Math.floor(random() * 20) },
      () => Math.floor(random() * (SAMPLE_BYTES.length + 1)),
    ).sort((a, b) => a - b);
    assert.deepEqual(plain(decodeSplit(SAMPLE_BYTES, cuts)), plain(SAMPLE));
  }
});

Deno.test("FrameDecoder.push() round-trips any frames under any chunking", () => {
  const frame = fc.record({
    type: fc.integer({ min: 0, max: 255 }),
    requestId: fc.integer({ min: 0, max: 0xffff_ffff }),
    payload: fc.uint8Array({ maxLength: 2000 }),
  });
  fc.assert(
    fc.property(fc.array(frame, { maxLength: 8 }), fc.array(fc.nat()), (frames, rawCuts) => {
      const bytes = concatBytes(frames.map((f) => encodeFrame(f.type, f.requestId, f.payload)));
      const cuts = rawCuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
      assert.deepEqual(plain(decodeSplit(bytes, cuts)), plain(frames));
    }),
    { numRuns: 300 },
  );
});

Deno.test("FrameDecoder.push() round-trips a 16 MiB payload in 16 KiB pieces", () => {
  const payload = patternBytes(16 * 1024 * 1024, 1);
  const bytes = encodeFrame(MessageType.snapshots, 5, payload);
  const cuts = Array.from({ length: Math.floor(bytes.length / 16384) }, (_, i) => (i + 1) * 16384);
  const [frame] = decodeSplit(bytes, cuts);
  assert.equal(frame?.payload.length, payload.length);
  assert.equal(frame?.payload.buffer.byteLength, payload.length);
  assert.ok(frame !== undefined && bytesEqual(frame.payload, payload));
});

Deno.test("FrameDecoder.push() rejects a 0xFFFFFFFF length after its 4 bytes", () => {
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(new Uint8Array([0xff, 0xff, 0xff])), []);
  assert.throws(() => decoder.push(new Uint8Array([0xff])), ProtocolError);
});

Deno.test("FrameDecoder.push() rejects a length one over the limit after its 4 bytes", () => {
  const decoder = new FrameDecoder(UNCHECKED_LIMITS);
  const header = encodeFrameHeader(1, 0, 0);
  new DataView(header.buffer).setUint32(0, MAX_FRAME_BODY + 1);
  assert.throws(() => decoder.push(header.subarray(0, 4)), /exceeds the limit/);
});

Deno.test("FrameDecoder.push() rejects a body length below 5", () => {
  for (let length = 0; length < 5; length++) {
    const decoder = new FrameDecoder();
    assert.throws(() => decoder.push(new Uint8Array([0, 0, 0, length])), /below the minimum/);
  }
});

Deno.test("FrameDecoder.push() rejects a control payload over 64 KiB from the header", () => {
  const decoder = new FrameDecoder();
  const header = encodeFrameHeader(MessageType.hello, 1, MAX_CONTROL_PAYLOAD + 1);
  assert.deepEqual(decoder.push(header.subarray(0, 4)), []);
  assert.throws(() => decoder.push(header.subarray(4, 5)), /limit of 65536 for message type 1/);
});

Deno.test("FrameDecoder.push() accepts a control payload of exactly 64 KiB", () => {
  const payload = new Uint8Array(MAX_CONTROL_PAYLOAD);
  const [frame] = new FrameDecoder().push(encodeFrame(MessageType.hello, 1, payload));
  assert.equal(frame?.payload.length, MAX_CONTROL_PAYLOAD);
});

Deno.test("FrameDecoder.push() rejects a message type its limits refuse", () => {
  assert.throws(() => new FrameDecoder().push(encodeFrameHeader(200, 0, 0)), /type 200/);
  const server = new FrameDecoder(SERVER_READ_LIMITS);
  assert.throws(
    () => server.push(encodeFrameHeader(MessageType.snapshots, 0, 10)),
    /not accepted/,
  );
  assert.equal(PROTOCOL_LIMITS.payloadLimit(MessageType.snapshots), 16 * 1024 * 1024);
});

Deno.test("SERVER_PRE_LOGIN_LIMITS accept every client message up to 64 KiB, nothing larger", () => {
  const decoder = new FrameDecoder(SERVER_PRE_LOGIN_LIMITS);
  const frames = decoder.push(concatBytes([
    encodeFrame(MessageType.login_proof, 1, new Uint8Array(10)),
    encodeFrame(MessageType.list_snapshots, 2, new TextEncoder().encode("{}")),
    encodeFrame(MessageType.put_chunks, 3, new Uint8Array(MAX_CONTROL_PAYLOAD)),
  ]));
  assert.deepEqual(frames.map((f) => f.type), [18, 32, 39]);
  assert.equal(SERVER_PRE_LOGIN_LIMITS.maxBody, MAX_CONTROL_PAYLOAD + 5);
  assert.throws(
    () => decoder.push(encodeFrameHeader(MessageType.put_chunks, 4, MAX_CONTROL_PAYLOAD + 1)),
    /exceeds the limit/,
  );
  assert.throws(
    () =>
      new FrameDecoder(SERVER_PRE_LOGIN_LIMITS).push(encodeFrameHeader(MessageType.hello_ok, 0, 2)),
    /not accepted/,
  );
});

Deno.test("FrameDecoder.push() keeps failing after a framing error", () => {
  const decoder = new FrameDecoder();
  assert.throws(() => decoder.push(new Uint8Array([0, 0, 0, 1])), ProtocolError);
  assert.throws(() => decoder.push(encodeFrame(1, 0, new Uint8Array(2))), ProtocolError);
});

Deno.test("FrameDecoder.push() does not allocate an announced body before it arrives", () => {
  const decoder = new FrameDecoder(UNCHECKED_LIMITS);
  const before = Deno.memoryUsage().external;
  const keep: FrameDecoder[] = [];
  for (let i = 0; i < 64; i++) {
    const d = new FrameDecoder(UNCHECKED_LIMITS);
    d.push(encodeFrameHeader(40, i, MAX_FRAME_BODY - 5));
    d.push(new Uint8Array(1000));
    keep.push(d);
  }
  const grown = Deno.memoryUsage().external - before;
  assert.ok(grown < 64 * 1024 * 1024, `grew by ${grown} bytes for 64 announced 16 MiB bodies`);
  assert.equal(keep[0]?.bufferedBytes, FRAME_HEADER_SIZE + 1000);
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("FrameDecoder.push() returns payloads independent of its input buffer", () => {
  const input = encodeFrame(9, 1, new Uint8Array([1, 2, 3]));
  const [frame] = new FrameDecoder(UNCHECKED_LIMITS).push(input);
  input.fill(0);
  assert.deepEqual([...(frame?.payload ?? [])], [1, 2, 3]);
});

Deno.test("FrameDecoder.announcedBodyLength reports the partial frame's length", () => {
  const decoder = new FrameDecoder(UNCHECKED_LIMITS);
  assert.equal(decoder.announcedBodyLength, 0);
  decoder.push(encodeFrame(9, 1, new Uint8Array(10)).subarray(0, 6));
  assert.equal(decoder.announcedBodyLength, 15);
  assert.equal(decoder.bufferedBytes, 6);
});

Deno.test("FrameDecoder.payloadTail() takes the rest of a large payload read in directly", () => {
  const payload = patternBytes(1024 * 1024, 5);
  const whole = encodeFrame(40, 3, payload);
  const decoder = new FrameDecoder(UNCHECKED_LIMITS);
  assert.equal(decoder.payloadTail(), null, "no payload started");
  let at = 0;
  while (decoder.payloadTail() === null) {
    assert.deepEqual(decoder.push(whole.subarray(at, at + 100_000)), []);
    at += 100_000;
  }
  const tail = decoder.payloadTail()!;
  assert.equal(tail.length, whole.length - at, "the tail is exactly what is left");
  assert.throws(() => decoder.filled(tail.length + 1), RangeError);
  tail.set(whole.subarray(at, at + 10));
  assert.deepEqual(decoder.filled(10), []);
  decoder.payloadTail()!.set(whole.subarray(at + 10));
  const frames = decoder.filled(whole.length - at - 10);
  assert.equal(frames.length, 1);
  assert.ok(bytesEqual(frames[0]!.payload, payload));
  assert.equal(decoder.payloadTail(), null, "back at a frame boundary");
  assert.deepEqual(decoder.push(encodeFrame(41, 4, new Uint8Array(2))).length, 1);
});
