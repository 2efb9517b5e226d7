/**
 * An HTTPS request and its streamed response as the byte stream a `Session` reads and writes:
 * the request body holds the client's frames (hello, a ticket login, chunk requests), the
 * response body carries the server's replies as they are written. The web page fetches chunks
 * this way because Chromium takes in a streamed response body several times faster than
 * WebSocket messages.
 *
 * Invariants: at most `maxRequestBytes` of the request body are read (more fails the read); a
 * write copies its bytes (the session may free them once it resolves) and waits while more than
 * `maxUnsent` bytes wait to be sent, so a slow reader makes the session wait rather than the server
 * buffer without limit; once the client goes away, writes fail.
 *
 * @module
 */
import { NetworkError, ProtocolError } from "../errors.ts";
import { ReadableBytes } from "../readable_bytes.ts";
import type { SessionConn } from "../server/session.ts";

const MiB = 1024 * 1024;

/** Limits of an `HttpStreamConn`, in bytes. */
export interface HttpStreamLimits {
  /** The longest request body read; a longer one fails the read. */
  maxRequestBytes: number;
  /** Written and not yet sent, above which `write` waits. */
  maxUnsent: number;
}

/** Defaults: a 64 KiB request (a hello, a ticket and chunk requests), 8 MiB unsent. */
export const DEFAULT_HTTP_STREAM_LIMITS: HttpStreamLimits = {
  maxRequestBytes: 64 * 1024,
  maxUnsent: 8 * MiB,
};

/** A `SessionConn` over one request and its response. One reader at a time; writes in order. */
export class HttpStreamConn implements SessionConn {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  /** The response body: what the session writes, as it writes it. */
  readonly response: ReadableStream<Uint8Array>;
  readonly #request: ReadableBytes | null;
  readonly #limits: HttpStreamLimits;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  #wakeWriter: (() => void) | null = null;

  constructor(
    request: ReadableStream<Uint8Array> | null,
    addrs: { localAddr: Deno.NetAddr; remoteAddr: Deno.NetAddr },
    limits: HttpStreamLimits = DEFAULT_HTTP_STREAM_LIMITS,
  ) {
    this.localAddr = addrs.localAddr;
    this.remoteAddr = addrs.remoteAddr;
    this.#request = request === null ? null : new ReadableBytes(request);
    this.#limits = limits;
    this.response = new ReadableStream<Uint8Array>({
      start: (controller) => void (this.#controller = controller),
      pull: () => this.#wake(),
      cancel: () => this.close(),
    }, new ByteLengthQueuingStrategy({ highWaterMark: limits.maxUnsent }));
  }

  /** Nothing to wait for: TLS was done by the HTTPS server. */
  handshake(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Fills a prefix of `p` with request body bytes.
   * @returns the count, or null at the end of the body (or once closed)
   * @throws {ProtocolError} when the body is longer than `maxRequestBytes`
   */
  async read(p: Uint8Array): Promise<number | null> {
    if (this.#closed || this.#request === null) return null;
    const n = await this.#request.read(p).catch(() => null);
    if (this.#request.received > this.#limits.maxRequestBytes) {
      throw new ProtocolError(
        `Cannot read the request: it is longer than ${this.#limits.maxRequestBytes} bytes`,
      );
    }
    return n;
  }

  /**
   * Queues a copy of `p` on the response, then waits while more than `maxUnsent` bytes wait.
   * @returns `p.length`
   * @throws {NetworkError} once the response is closed or the client went away
   */
  async write(p: Uint8Array): Promise<number> {
    if (this.#closed) throw new NetworkError("Cannot write the response: it is closed");
    this.#controller.enqueue(p.slice());
    while (!this.#closed && (this.#controller.desiredSize ?? 0) <= 0) {
      await new Promise<void>((resolve) => (this.#wakeWriter = resolve));
    }
    return p.length;
  }

  /** Ends the response once what was written is sent; nothing more is read. */
  closeWrite(): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /** Ends the response (what was written is still sent) and stops reading the request. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#controller.close();
    } catch {
      // Cancelled by the client.
    }
    this.#request?.cancel();
    this.#wake();
  }

  #wake(): void {
    const wake = this.#wakeWriter;
    this.#wakeWriter = null;
    wake?.();
  }
}
