import assert from "node:assert/strict";
import fc from "fast-check";
import { ProtocolError } from "../errors.ts";
import { BINARY_CODECS } from "./_binary_codecs.ts";
import { MessageType } from "./message_type.ts";
import { decodeMessage, encodeMessage, encodeMessageParts } from "./messages.ts";

const id = fc.uint8Array({ minLength: 32, maxLength: 32 });
const blob = fc.record({ id, blob: fc.uint8Array({ minLength: 46, maxLength: 300 }) }, {
  noNullPrototype: true,
});

Deno.test("put_chunks and chunks round-trip any blobs and missing ids", () => {
  fc.assert(
    fc.property(
      fc.array(blob, { maxLength: 8 }),
      fc.array(id, { maxLength: 4 }),
      (blobs, missing) => {
        const put = decodeMessage({
          type: MessageType.put_chunks,
          payload: encodeMessage("put_chunks", { blobs }),
        });
        assert.deepEqual(put.payload, { blobs });
        const got = decodeMessage({
          type: MessageType.chunks,
          payload: encodeMessage("chunks", { blobs, missing }),
        });
        assert.deepEqual(got.payload, { blobs, missing });
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("chunk_ids and get_chunks round-trip", () => {
  const ids = new Uint8Array(96).map((_, i) => i);
  const page = BINARY_CODECS.chunk_ids.decode(BINARY_CODECS.chunk_ids.encode({ ids, more: true }));
  assert.deepEqual(page, { ids, more: true });
  const list = [ids.subarray(0, 32), ids.subarray(32, 64)];
  assert.deepEqual(
    BINARY_CODECS.get_chunks.decode(BINARY_CODECS.get_chunks.encode({ ids: list })),
    {
      ids: list,
    },
  );
});

Deno.test("put_chunks decoding rejects every truncation and trailing bytes", () => {
  const bytes = BINARY_CODECS.put_chunks.encode({
    blobs: [{ id: new Uint8Array(32), blob: new Uint8Array(50) }, {
      id: new Uint8Array(32).fill(1),
      blob: new Uint8Array(46),
    }],
  });
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.throws(
      () => BINARY_CODECS.put_chunks.decode(bytes.subarray(0, cut)),
      ProtocolError,
      `${cut}`,
    );
  }
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  assert.throws(() => BINARY_CODECS.put_chunks.decode(longer), /trailing bytes/);
});

Deno.test("binary decoders reject impossible counts and lengths before using them", () => {
  const huge = new Uint8Array([0xff, 0xff, 0xff, 0xff]);
  assert.throws(() => BINARY_CODECS.put_chunks.decode(huge), /blobs exceed/);
  const badLength = new Uint8Array(4 + 32 + 4);
  new DataView(badLength.buffer).setUint32(0, 1);
  new DataView(badLength.buffer).setUint32(36, 3);
  assert.throws(() => BINARY_CODECS.put_chunks.decode(badLength), /impossible length 3/);
  assert.throws(() => BINARY_CODECS.get_chunks.decode(new Uint8Array(0)), /no ids/);
  assert.throws(() => BINARY_CODECS.get_chunks.decode(new Uint8Array(33)), /multiple of 32/);
  assert.throws(() => BINARY_CODECS.get_chunks.decode(new Uint8Array(32 * 1025)), /exceed 1024/);
  assert.throws(() => BINARY_CODECS.chunk_ids.decode(new Uint8Array([2])), /bad flags/);
  assert.throws(() => BINARY_CODECS.chunk_ids.decode(new Uint8Array(0)), /bad flags/);
});

Deno.test("binary encoders refuse bad ids and blob sizes", () => {
  assert.throws(
    () =>
      encodeMessage("put_chunks", {
        blobs: [{ id: new Uint8Array(31), blob: new Uint8Array(50) }],
      }),
    TypeError,
  );
  assert.throws(
    () =>
      encodeMessage("put_chunks", {
        blobs: [{ id: new Uint8Array(32), blob: new Uint8Array(10) }],
      }),
    RangeError,
  );
  assert.throws(() => encodeMessage("get_chunks", { ids: [] }), RangeError);
});

Deno.test("encodeMessageParts() joins to exactly what encodeMessage() makes", () => {
  fc.assert(
    fc.property(
      fc.array(blob, { maxLength: 6 }),
      (blobs) => {
        const join = (parts: Uint8Array[]) => {
          const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of parts) (out.set(p, at), at += p.length);
          return out;
        };
        assert.deepEqual(
          join(encodeMessageParts("put_chunks", { blobs })),
          encodeMessage("put_chunks", { blobs }),
        );
      },
    ),
    { numRuns: 50 },
  );
});

Deno.test("report_damaged carries 1-1024 ids, as get_chunks does", () => {
  const list = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
  const codec = BINARY_CODECS.report_damaged;
  assert.deepEqual(codec.decode(codec.encode({ ids: list })), { ids: list });
  assert.throws(() => codec.decode(new Uint8Array(0)), /report_damaged.*no ids/);
  assert.throws(() => codec.decode(new Uint8Array(32 * 1025)), /exceed 1024/);
  assert.throws(() => codec.encode({ ids: [] }), RangeError);
});

Deno.test("prune_live carries one or more whole ids and refuses anything else", () => {
  const ids = new Uint8Array(96).map((_, i) => i);
  const codec = BINARY_CODECS.prune_live;
  assert.deepEqual(codec.decode(codec.encode({ ids })).ids, ids);
  assert.throws(() => codec.decode(new Uint8Array(0)), /prune_live.*positive multiple/);
  assert.throws(() => codec.decode(new Uint8Array(33)), /prune_live.*positive multiple/);
  assert.throws(() => codec.encode({ ids: new Uint8Array(0) }), TypeError);
});
