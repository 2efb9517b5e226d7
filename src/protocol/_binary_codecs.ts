/**
 * Binary payloads for bulk data, where JSON and base64 would cost a copy and a third more bytes:
 * `put_chunks` and `chunks` carry sealed blobs, `chunk_ids` and `get_chunks` carry chunk ids.
 * Every count and length is checked against the payload before it is used.
 *
 * Layouts (big-endian):
 * - blob list: u32 count, then per blob: id (32) | u32 length | blob.
 * - `put_chunks`: blob list.
 * - `chunks`: blob list, then u32 missing count and the missing ids (32 each).
 * - `chunk_ids`: u8 flags (bit 0: more pages follow), then ids (32 each).
 * - `get_chunks`, `report_damaged`: ids (32 each), 1–`MAX_GET_CHUNKS` of them.
 * - `prune_live`: ids (32 each), at least one (the frame limit bounds them).
 *
 * @module
 */
import { ProtocolError } from "../errors.ts";
import {
  CHUNK_ID_LENGTH,
  type ChunkIdsPayload,
  type ChunksPayload,
  type GetChunksPayload,
  type IdentifiedBlob,
  MAX_BLOB_LENGTH,
  MAX_BLOBS_PER_FRAME,
  MAX_GET_CHUNKS,
  MIN_BLOB_LENGTH,
  type PruneLivePayload,
  type PutChunksPayload,
} from "./payloads.ts";

/** Names of the messages with binary payloads. */
export type BinaryMessageName =
  | "put_chunks"
  | "chunks"
  | "chunk_ids"
  | "get_chunks"
  | "report_damaged"
  | "prune_live";

/** Bytes a blob adds to a blob list: id, length and the blob itself. */
export function blobListEntrySize(blob: Uint8Array): number {
  return CHUNK_ID_LENGTH + 4 + blob.length;
}

function fail(name: string, problem: string): ProtocolError {
  return new ProtocolError(`Cannot decode "${name}": ${problem}`);
}

function writeBlobList(blobs: readonly IdentifiedBlob[], extra: number): [Uint8Array, number] {
  if (blobs.length > MAX_BLOBS_PER_FRAME) {
    throw new RangeError(`Cannot encode blobs: ${blobs.length} exceeds ${MAX_BLOBS_PER_FRAME}`);
  }
  let size = 4 + extra;
  for (const { id, blob } of blobs) {
    if (id.length !== CHUNK_ID_LENGTH) {
      throw new TypeError("Cannot encode blobs: id is not 32 bytes");
    }
    if (blob.length < MIN_BLOB_LENGTH || blob.length > MAX_BLOB_LENGTH) {
      throw new RangeError(`Cannot encode blobs: a blob of ${blob.length} bytes is out of bounds`);
    }
    size += blobListEntrySize(blob);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, blobs.length);
  let at = 4;
  for (const { id, blob } of blobs) {
    out.set(id, at);
    view.setUint32(at + CHUNK_ID_LENGTH, blob.length);
    out.set(blob, at + CHUNK_ID_LENGTH + 4);
    at += blobListEntrySize(blob);
  }
  return [out, at];
}

/** A blob list as parts to write in order: the count, then per blob its id and length, and the blob. */
function blobListParts(blobs: readonly IdentifiedBlob[]): Uint8Array[] {
  if (blobs.length > MAX_BLOBS_PER_FRAME) {
    throw new RangeError(`Cannot encode blobs: ${blobs.length} exceeds ${MAX_BLOBS_PER_FRAME}`);
  }
  const heads = new Uint8Array(4 + blobs.length * (CHUNK_ID_LENGTH + 4));
  const view = new DataView(heads.buffer);
  view.setUint32(0, blobs.length);
  const parts: Uint8Array[] = [heads.subarray(0, 4)];
  blobs.forEach(({ id, blob }, i) => {
    if (id.length !== CHUNK_ID_LENGTH) {
      throw new TypeError("Cannot encode blobs: id is not 32 bytes");
    }
    if (blob.length < MIN_BLOB_LENGTH || blob.length > MAX_BLOB_LENGTH) {
      throw new RangeError(`Cannot encode blobs: a blob of ${blob.length} bytes is out of bounds`);
    }
    const at = 4 + i * (CHUNK_ID_LENGTH + 4);
    heads.set(id, at);
    view.setUint32(at + CHUNK_ID_LENGTH, blob.length);
    parts.push(heads.subarray(at, at + CHUNK_ID_LENGTH + 4), blob);
  });
  return parts;
}

function readBlobList(name: string, bytes: Uint8Array): [IdentifiedBlob[], number] {
  if (bytes.length < 4) throw fail(name, "payload too short");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0);
  if (count > MAX_BLOBS_PER_FRAME) throw fail(name, `${count} blobs exceed ${MAX_BLOBS_PER_FRAME}`);
  const blobs: IdentifiedBlob[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + CHUNK_ID_LENGTH + 4 > bytes.length) throw fail(name, `blob ${i} is truncated`);
    const length = view.getUint32(at + CHUNK_ID_LENGTH);
    if (length < MIN_BLOB_LENGTH || length > MAX_BLOB_LENGTH) {
      throw fail(name, `blob ${i} has an impossible length ${length}`);
    }
    const start = at + CHUNK_ID_LENGTH + 4;
    if (start + length > bytes.length) throw fail(name, `blob ${i} is truncated`);
    blobs.push({
      id: bytes.subarray(at, at + CHUNK_ID_LENGTH),
      blob: bytes.subarray(start, start + length),
    });
    at = start + length;
  }
  return [blobs, at];
}

function readIds(name: string, bytes: Uint8Array, max: number): Uint8Array[] {
  if (bytes.length % CHUNK_ID_LENGTH !== 0) throw fail(name, "ids are not a multiple of 32 bytes");
  const count = bytes.length / CHUNK_ID_LENGTH;
  if (count > max) throw fail(name, `${count} ids exceed ${max}`);
  const ids: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += CHUNK_ID_LENGTH) {
    ids.push(bytes.subarray(at, at + CHUNK_ID_LENGTH));
  }
  return ids;
}

function concatIds(ids: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(ids.length * CHUNK_ID_LENGTH);
  ids.forEach((id, i) => {
    if (id.length !== CHUNK_ID_LENGTH) {
      throw new TypeError("Cannot encode ids: an id is not 32 bytes");
    }
    out.set(id, i * CHUNK_ID_LENGTH);
  });
  return out;
}

/** Encoders and decoders of the binary messages; decoded byte fields view the payload. */
export const BINARY_CODECS = {
  put_chunks: {
    encode: (p: PutChunksPayload): Uint8Array => writeBlobList(p.blobs, 0)[0],
    encodeParts: (p: PutChunksPayload): Uint8Array[] => blobListParts(p.blobs),
    decode(bytes: Uint8Array): PutChunksPayload {
      const [blobs, end] = readBlobList("put_chunks", bytes);
      if (end !== bytes.length) throw fail("put_chunks", "trailing bytes");
      return { blobs };
    },
  },
  chunks: {
    encode(p: ChunksPayload): Uint8Array {
      const missing = concatIds(p.missing);
      const [out, at] = writeBlobList(p.blobs, 4 + missing.length);
      new DataView(out.buffer).setUint32(at, p.missing.length);
      out.set(missing, at + 4);
      return out;
    },
    decode(bytes: Uint8Array): ChunksPayload {
      const [blobs, at] = readBlobList("chunks", bytes);
      if (at + 4 > bytes.length) throw fail("chunks", "missing list is truncated");
      const count = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0);
      const rest = bytes.subarray(at + 4);
      if (rest.length !== count * CHUNK_ID_LENGTH) throw fail("chunks", "missing list length");
      return { blobs, missing: readIds("chunks", rest, MAX_GET_CHUNKS) };
    },
  },
  chunk_ids: {
    encode(p: ChunkIdsPayload): Uint8Array {
      if (p.ids.length % CHUNK_ID_LENGTH !== 0) {
        throw new TypeError("Cannot encode chunk_ids: ids are not a multiple of 32 bytes");
      }
      const out = new Uint8Array(1 + p.ids.length);
      out[0] = p.more ? 1 : 0;
      out.set(p.ids, 1);
      return out;
    },
    decode(bytes: Uint8Array): ChunkIdsPayload {
      const flags = bytes[0];
      if (flags === undefined || flags > 1) throw fail("chunk_ids", "bad flags");
      const ids = bytes.subarray(1);
      if (ids.length % CHUNK_ID_LENGTH !== 0) {
        throw fail("chunk_ids", "ids are not a multiple of 32 bytes");
      }
      return { ids, more: flags === 1 };
    },
  },
  get_chunks: idsCodec("get_chunks"),
  report_damaged: idsCodec("report_damaged"),
  prune_live: {
    encode(p: PruneLivePayload): Uint8Array {
      if (p.ids.length === 0 || p.ids.length % CHUNK_ID_LENGTH !== 0) {
        throw new TypeError(
          "Cannot encode prune_live: ids are not a positive multiple of 32 bytes",
        );
      }
      return p.ids;
    },
    decode(bytes: Uint8Array): PruneLivePayload {
      if (bytes.length === 0 || bytes.length % CHUNK_ID_LENGTH !== 0) {
        throw fail("prune_live", "ids are not a positive multiple of 32 bytes");
      }
      return { ids: bytes };
    },
  },
} as const;

/** The codec of a request that carries 1–`MAX_GET_CHUNKS` chunk ids. */
function idsCodec(name: "get_chunks" | "report_damaged") {
  return {
    encode(p: GetChunksPayload): Uint8Array {
      if (p.ids.length < 1 || p.ids.length > MAX_GET_CHUNKS) {
        throw new RangeError(
          `Cannot encode ${name}: ${p.ids.length} ids, expected 1-${MAX_GET_CHUNKS}`,
        );
      }
      return concatIds(p.ids);
    },
    decode(bytes: Uint8Array): GetChunksPayload {
      const ids = readIds(name, bytes, MAX_GET_CHUNKS);
      if (ids.length === 0) throw fail(name, "no ids");
      return { ids };
    },
  };
}

/** Whether `name` has a binary payload. */
export function isBinaryMessage(name: string): name is BinaryMessageName {
  return Object.hasOwn(BINARY_CODECS, name);
}
