import assert from "node:assert/strict";
import { ReadableBytes } from "./readable_bytes.ts";

Deno.test("ReadableBytes fills small buffers across the stream's pieces, then returns null", async () => {
  const bytes = new ReadableBytes(
    ReadableStream.from([new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array([4])]),
  );
  const buffer = new Uint8Array(2);
  const seen: number[] = [];
  for (let n = await bytes.read(buffer); n !== null; n = await bytes.read(buffer)) {
    seen.push(...buffer.subarray(0, n));
  }
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.equal(bytes.received, 4);
  assert.equal(await bytes.read(buffer), null);
});

Deno.test("ReadableBytes: a cancelled stream reads as ended; a failed one rejects", async () => {
  const open = new ReadableBytes(new ReadableStream({ pull() {} }));
  open.cancel();
  assert.equal(await open.read(new Uint8Array(4)), null);
  const failed = new ReadableBytes(
    new ReadableStream({ pull: (controller) => controller.error(new Error("reset")) }),
  );
  await assert.rejects(() => failed.read(new Uint8Array(4)), /reset/);
});

Deno.test("ReadableBytes reads a byte stream (through its BYOB reader) byte for byte", async () => {
  const total = 1024 * 1024 + 17;
  let sent = 0;
  const stream = new ReadableStream({
    type: "bytes",
    pull(controller) {
      const request = controller.byobRequest!;
      const view = request.view as Uint8Array;
      const n = Math.min(view.length, total - sent, 100_000);
      for (let i = 0; i < n; i++) view[i] = (sent + i) % 251;
      sent += n;
      request.respond(n);
      if (sent === total) controller.close();
    },
  });
  const bytes = new ReadableBytes(stream);
  const buffer = new Uint8Array(70_000);
  let at = 0;
  for (let n = await bytes.read(buffer); n !== null; n = await bytes.read(buffer)) {
    for (let i = 0; i < n; i++) assert.equal(buffer[i], (at + i) % 251);
    at += n;
  }
  assert.equal(at, total);
  assert.equal(bytes.received, total);
});
