/**
 * Frames over a byte stream such as a TLS connection, whose reads return about one TLS record
 * (~16 KiB) and whose writes may be partial (~63 KiB).
 *
 * @module
 */
import { NetworkError, ProtocolError } from "../errors.ts";
import { encodeFrame, encodeFrameHeader, type Frame, FrameDecoder } from "./frame.ts";
import { type FrameLimits, PROTOCOL_LIMITS } from "./frame_limits.ts";

/**
 * The part of a connection a `FrameStream` uses; `Deno.TlsConn` and `Deno.Conn` satisfy it.
 * `read` fills a prefix of `p` and returns its length, or null at end of stream; `write` writes a
 * prefix of `p` and returns its length; `close` releases the connection.
 */
export interface ByteStream {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

/** Options of a `FrameStream`. */
export interface FrameStreamOptions {
  /** Size of the reused read buffer; default 64 KiB. */
  readBufferSize?: number;
  /** What frames to accept; default `PROTOCOL_LIMITS` (servers pass `SERVER_READ_LIMITS`). */
  limits?: FrameLimits;
}

/** Payloads above this size are written after their header instead of copied beside it. */
const COPY_LIMIT = 64 * 1024;

/**
 * `parts` as write calls: runs of parts under `COPY_LIMIT` joined into buffers of at most
 * `COPY_LIMIT`, larger parts kept as they are (one TLS write each, no copy).
 */
function gather(parts: readonly Uint8Array[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let staged: Uint8Array[] = [];
  let stagedBytes = 0;
  const flush = () => {
    if (stagedBytes === 0) return;
    const joined = new Uint8Array(stagedBytes);
    let at = 0;
    for (const part of staged) {
      joined.set(part, at);
      at += part.length;
    }
    pieces.push(joined);
    staged = [];
    stagedBytes = 0;
  };
  for (const part of parts) {
    if (part.length >= COPY_LIMIT) {
      flush();
      pieces.push(part);
      continue;
    }
    if (stagedBytes + part.length > COPY_LIMIT) flush();
    staged.push(part);
    stagedBytes += part.length;
  }
  flush();
  return pieces;
}

/** A payload's rest at least this long is read into it directly (a TLS record's plaintext). */
const DIRECT_READ_MIN = 16 * 1024;

/**
 * Reads and writes whole frames on one connection.
 *
 * Reads: one reader at a time (concurrent `readFrame` calls are queued). Writes: concurrent
 * `writeFrame` calls are serialised, so frames never interleave; each resolves once its frame
 * is fully handed to the connection. A failed write breaks the stream for writing (the peer may
 * have half a frame), and a framing error breaks it for reading: close it then. Errors thrown by
 * the connection itself propagate unchanged.
 */
export class FrameStream {
  readonly #conn: ByteStream;
  readonly #decoder: FrameDecoder;
  readonly #readBuffer: Uint8Array;
  #ready: Frame[] = [];
  #readyHead = 0;
  #eof = false;
  #readTail: Promise<unknown> = Promise.resolve();
  #writeTail: Promise<unknown> = Promise.resolve();
  #writeFailure: unknown = null;
  #closed = false;
  #bytesWritten = 0;

  constructor(conn: ByteStream, options: FrameStreamOptions = {}) {
    const size = options.readBufferSize ?? 64 * 1024;
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`Cannot create frame stream: read buffer size ${size} is not positive`);
    }
    this.#conn = conn;
    this.#decoder = new FrameDecoder(options.limits ?? PROTOCOL_LIMITS);
    this.#readBuffer = new Uint8Array(size);
  }

  /**
   * The next frame; its payload belongs to the caller.
   * @returns null on end of stream at a frame boundary
   * @throws {ProtocolError} on a framing error or end of stream inside a frame
   */
  readFrame(): Promise<Frame | null> {
    const result = this.#readTail.then(() => this.#readNext());
    this.#readTail = result.catch(() => {});
    return result;
  }

  async #readNext(): Promise<Frame | null> {
    while (this.#readyHead === this.#ready.length) {
      if (this.#eof) return this.#endOfStream();
      // The rest of a large payload is read straight into its buffer, not copied through ours.
      const rest = this.#decoder.payloadTail();
      const tail = rest !== null && rest.length >= DIRECT_READ_MIN ? rest : null;
      const n = await this.#conn.read(tail ?? this.#readBuffer);
      if (n === null) {
        this.#eof = true;
        continue;
      }
      this.#ready = tail === null
        ? this.#decoder.push(this.#readBuffer.subarray(0, n))
        : this.#decoder.filled(n);
      this.#readyHead = 0;
    }
    const frame = this.#ready[this.#readyHead++] as Frame;
    if (this.#readyHead === this.#ready.length) {
      this.#ready = [];
      this.#readyHead = 0;
    }
    return frame;
  }

  #endOfStream(): null {
    const buffered = this.#decoder.bufferedBytes;
    if (buffered === 0) return null;
    const announced = this.#decoder.announcedBodyLength;
    const of = announced === 0 ? "" : ` of ${announced + 4}`;
    throw new ProtocolError(
      `Cannot read frame: the connection closed after ${buffered}${of} bytes of a frame`,
    );
  }

  /**
   * Writes one whole frame, after every frame whose write started before it. A payload over
   * 64 KiB is written from the caller's buffer: do not change it until the promise settles.
   * @throws {RangeError} as `encodeFrame` (as a rejection)
   * @throws {NetworkError} when the connection accepts 0 bytes
   */
  writeFrame(type: number, requestId: number, payload: Uint8Array): Promise<void> {
    let pieces: Uint8Array[];
    try {
      pieces = payload.length > COPY_LIMIT
        ? [encodeFrameHeader(type, requestId, payload.length), payload]
        : [encodeFrame(type, requestId, payload)];
    } catch (error) {
      return Promise.reject(error);
    }
    const result = this.#writeTail.then(() => this.#writePieces(pieces));
    this.#writeTail = result.catch(() => {});
    return result;
  }

  /**
   * Writes one frame whose payload is the concatenation of `parts`, without joining them: parts
   * under 64 KiB are gathered into a small staging buffer, larger ones are written straight
   * from the caller's memory (leave them unchanged until the promise settles).
   * @throws {RangeError} as `encodeFrameHeader` (as a rejection)
   */
  writeFrameParts(type: number, requestId: number, parts: readonly Uint8Array[]): Promise<void> {
    let pieces: Uint8Array[];
    try {
      const length = parts.reduce((sum, part) => sum + part.length, 0);
      pieces = gather([encodeFrameHeader(type, requestId, length), ...parts]);
    } catch (error) {
      return Promise.reject(error);
    }
    const result = this.#writeTail.then(() => this.#writePieces(pieces));
    this.#writeTail = result.catch(() => {});
    return result;
  }

  async #writePieces(pieces: Uint8Array[]): Promise<void> {
    if (this.#writeFailure !== null) throw this.#writeFailure;
    try {
      for (const piece of pieces) await this.#writeAll(piece);
    } catch (error) {
      this.#writeFailure = error;
      throw error;
    }
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const n = await this.#conn.write(bytes.subarray(offset));
      if (!(n > 0)) {
        throw new NetworkError(`Cannot write frame: the connection accepted ${n} bytes`);
      }
      offset += n;
      this.#bytesWritten += n;
    }
  }

  /** Bytes the connection accepted so far (frame headers included). */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** Closes the connection; pending reads and writes then fail. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }
}
