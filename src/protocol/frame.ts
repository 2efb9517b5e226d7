/**
 * The frame codec: `u32 body length | u8 type | u32 request id | payload`, all big-endian.
 * `FrameDecoder` parses frames from arbitrarily split input and checks every limit from the
 * header, before it allocates room for the body.
 *
 * @module
 */
import { ProtocolError } from "../errors.ts";
import {
  BODY_HEADER_SIZE,
  FRAME_HEADER_SIZE,
  type FrameLimits,
  LENGTH_PREFIX_SIZE,
  MAX_FRAME_BODY,
  PROTOCOL_LIMITS,
} from "./frame_limits.ts";

/** One decoded frame. */
export interface Frame {
  /** Message type number (u8). */
  readonly type: number;
  /** Request id (u32) the client picked; a reply echoes it. */
  readonly requestId: number;
  /** The payload; for a decoded frame, a fresh buffer the receiver owns. */
  readonly payload: Uint8Array;
}

/** Payloads up to this size get their exact buffer at once; larger ones grow as bytes arrive. */
const PREALLOCATE_LIMIT = 256 * 1024;
/**
 * A growing payload buffer jumps to its exact size once that is at most this many times the
 * bytes received: a peer must send 1/16 of a body before it costs the whole body's memory, and
 * a large payload is copied about 1.1 times instead of 2.
 */
const GROWTH_AMPLIFICATION = 16;

/**
 * The 9 header bytes of a frame whose payload is `payloadLength` bytes long.
 * @throws {RangeError} on a type outside u8, an id outside u32 or a body over `MAX_FRAME_BODY`
 */
export function encodeFrameHeader(
  type: number,
  requestId: number,
  payloadLength: number,
): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) {
    throw new RangeError(`Cannot encode frame: type ${type} is not a u8`);
  }
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > 0xffff_ffff) {
    throw new RangeError(`Cannot encode frame: request id ${requestId} is not a u32`);
  }
  const bodyLength = BODY_HEADER_SIZE + payloadLength;
  if (bodyLength > MAX_FRAME_BODY) {
    throw new RangeError(
      `Cannot encode frame: body of ${bodyLength} bytes exceeds the limit of ${MAX_FRAME_BODY}`,
    );
  }
  const header = new Uint8Array(FRAME_HEADER_SIZE);
  const view = new DataView(header.buffer);
  view.setUint32(0, bodyLength);
  view.setUint8(4, type);
  view.setUint32(5, requestId);
  return header;
}

/**
 * One whole frame in a new buffer (the payload is copied once).
 * @throws {RangeError} as `encodeFrameHeader`
 */
export function encodeFrame(type: number, requestId: number, payload: Uint8Array): Uint8Array {
  const header = encodeFrameHeader(type, requestId, payload.length);
  const frame = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  frame.set(header);
  frame.set(payload, FRAME_HEADER_SIZE);
  return frame;
}

/**
 * Incremental frame parser for one connection's byte stream.
 *
 * Ownership: `push` copies what it needs and keeps no reference to its argument, so the caller
 * may reuse that buffer at once; a reader may instead read a large payload's rest straight into
 * `payloadTail()`. Each returned payload is a fresh `Uint8Array` (its own
 * `ArrayBuffer`, exactly sized for large payloads) that the decoder never touches again.
 *
 * Limits are checked from the header: the body length after 4 bytes, the type's payload cap
 * after 5. A payload over 256 KiB gets a buffer that grows geometrically with the bytes received
 * (at most 16 times what arrived), so an announced length alone costs no memory. After a throw the decoder is broken
 * and rethrows: close the connection.
 */
export class FrameDecoder {
  readonly #limits: FrameLimits;
  readonly #header = new Uint8Array(FRAME_HEADER_SIZE);
  readonly #headerView = new DataView(this.#header.buffer);
  #headerFill = 0;
  #payload: Uint8Array | null = null;
  #payloadLength = 0;
  #payloadFill = 0;
  #failure: ProtocolError | null = null;

  /** @param limits what to accept; defaults to every known message at its cap */
  constructor(limits: FrameLimits = PROTOCOL_LIMITS) {
    this.#limits = limits;
  }

  /** Bytes received that belong to a frame not yet complete; 0 at a frame boundary. */
  get bufferedBytes(): number {
    return this.#headerFill + this.#payloadFill;
  }

  /** The body length announced by the partial frame, or 0 when none is announced. */
  get announcedBodyLength(): number {
    return this.#headerFill >= LENGTH_PREFIX_SIZE ? this.#headerView.getUint32(0) : 0;
  }

  /**
   * Where the rest of the current payload goes, once its buffer has its exact size: a reader may
   * read into it directly and then call `filled`, which saves copying those bytes through
   * `push`. Null between payloads and while the buffer still grows.
   */
  payloadTail(): Uint8Array | null {
    const payload = this.#payload;
    if (payload === null || payload.length !== this.#payloadLength) return null;
    return payload.subarray(this.#payloadFill);
  }

  /**
   * Counts `count` bytes written into `payloadTail()` as received.
   * @returns the frame they completed, if any
   * @throws {RangeError} when there is no tail or `count` exceeds it
   */
  filled(count: number): Frame[] {
    const tail = this.payloadTail();
    if (tail === null || !Number.isSafeInteger(count) || count < 0 || count > tail.length) {
      throw new RangeError(`Cannot count ${count} bytes as received: no payload has room`);
    }
    this.#payloadFill += count;
    return this.#payloadFill === this.#payloadLength ? [this.#takeFrame()] : [];
  }

  /**
   * Feeds the next bytes of the stream.
   * @returns the frames completed by these bytes, in order (often none)
   * @throws {ProtocolError} on a length, type or size the limits refuse
   */
  push(bytes: Uint8Array): Frame[] {
    if (this.#failure !== null) throw this.#failure;
    const frames: Frame[] = [];
    let offset = 0;
    try {
      while (offset < bytes.length) {
        offset = this.#payload === null
          ? this.#readHeader(bytes, offset)
          : this.#readPayload(bytes, offset);
        if (this.#payload !== null && this.#payloadFill === this.#payloadLength) {
          frames.push(this.#takeFrame());
        }
      }
    } catch (error) {
      if (error instanceof ProtocolError) this.#failure = error;
      throw error;
    }
    return frames;
  }

  /** Copies header bytes; checks each limit as soon as its bytes are in. Returns the new offset. */
  #readHeader(bytes: Uint8Array, offset: number): number {
    const before = this.#headerFill;
    const take = Math.min(FRAME_HEADER_SIZE - before, bytes.length - offset);
    this.#header.set(bytes.subarray(offset, offset + take), before);
    this.#headerFill += take;
    if (before < LENGTH_PREFIX_SIZE && this.#headerFill >= LENGTH_PREFIX_SIZE) this.#checkLength();
    if (before <= LENGTH_PREFIX_SIZE && this.#headerFill > LENGTH_PREFIX_SIZE) this.#checkType();
    if (this.#headerFill === FRAME_HEADER_SIZE) this.#startPayload();
    return offset + take;
  }

  #checkLength(): void {
    const bodyLength = this.#headerView.getUint32(0);
    if (bodyLength < BODY_HEADER_SIZE) {
      throw new ProtocolError(
        `Cannot read frame: body length ${bodyLength} is below the minimum of ${BODY_HEADER_SIZE}`,
      );
    }
    if (bodyLength > this.#limits.maxBody) {
      throw new ProtocolError(
        `Cannot read frame: body length ${bodyLength} exceeds the limit of ${this.#limits.maxBody}`,
      );
    }
  }

  #checkType(): void {
    const type = this.#header[LENGTH_PREFIX_SIZE] ?? 0;
    const payloadLength = this.#headerView.getUint32(0) - BODY_HEADER_SIZE;
    const cap = this.#limits.payloadLimit(type);
    if (cap === undefined) {
      throw new ProtocolError(`Cannot read frame: message type ${type} is not accepted`);
    }
    if (payloadLength > cap) {
      throw new ProtocolError(
        `Cannot read frame: payload of ${payloadLength} bytes exceeds the limit of ${cap} for message type ${type}`,
      );
    }
  }

  #startPayload(): void {
    this.#payloadLength = this.#headerView.getUint32(0) - BODY_HEADER_SIZE;
    this.#payloadFill = 0;
    this.#payload = new Uint8Array(Math.min(this.#payloadLength, PREALLOCATE_LIMIT));
  }

  /** Copies payload bytes, growing the buffer geometrically up to the exact payload length. */
  #readPayload(bytes: Uint8Array, offset: number): number {
    let payload = this.#payload as Uint8Array;
    const take = Math.min(this.#payloadLength - this.#payloadFill, bytes.length - offset);
    const needed = this.#payloadFill + take;
    if (needed > payload.length) {
      const exact = this.#payloadLength <= needed * GROWTH_AMPLIFICATION;
      const grown = new Uint8Array(
        exact ? this.#payloadLength : Math.max(needed, payload.length * 2),
      );
      grown.set(payload.subarray(0, this.#payloadFill));
      this.#payload = payload = grown;
    }
    payload.set(bytes.subarray(offset, offset + take), this.#payloadFill);
    this.#payloadFill = needed;
    return offset + take;
  }

  #takeFrame(): Frame {
    const frame: Frame = {
      type: this.#header[LENGTH_PREFIX_SIZE] ?? 0,
      requestId: this.#headerView.getUint32(LENGTH_PREFIX_SIZE + 1),
      payload: this.#payload as Uint8Array,
    };
    this.#payload = null;
    this.#headerFill = 0;
    this.#payloadFill = 0;
    this.#payloadLength = 0;
    return frame;
  }
}
