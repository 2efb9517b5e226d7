/**
 * A client connection over a WebSocket, for the web page: the same frame stream as over TLS,
 * carried in binary messages (a message may hold any part of the stream; frames span messages).
 *
 * Invariants: bytes are read in the order they arrived, each exactly once; a write waits while
 * more than `SEND_BUFFER_BYTES` are queued in the socket, so a slow link does not make the page
 * buffer without limit; once the socket closes, reads drain what arrived and then return null,
 * and writes fail with a `NetworkError`.
 *
 * @module
 */
import { NetworkError } from "../errors.ts";
import { Fifo } from "../fifo.ts";
import type { ClientConn } from "./burrow_client.ts";

/** Bytes queued in the socket above which a write waits. */
const SEND_BUFFER_BYTES = 8 * 1024 * 1024;
/** How often a waiting write looks at the socket's queue again. */
const SEND_POLL_MS = 4;

/**
 * Opens a WebSocket to `url` and resolves once it is open.
 *
 * @throws {NetworkError} when it does not open within `timeoutMs`, or the server refuses it
 */
export function openWebSocket(url: string, timeoutMs = 15_000): Promise<WebSocketConnection> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    const conn = new WebSocketConnection(socket);
    const timer = setTimeout(() => {
      socket.close();
      reject(new NetworkError(`Cannot connect: no answer within ${timeoutMs / 1000} s`, "TIMEOUT"));
    }, timeoutMs);
    socket.addEventListener("open", () => {
      clearTimeout(timer);
      resolve(conn);
    }, { once: true });
    socket.addEventListener("close", () => {
      clearTimeout(timer);
      reject(
        new NetworkError(
          "Cannot connect: the server refused the connection or is not running",
          "NETWORK",
        ),
      );
    }, { once: true });
  });
}

/** A `ClientConn` over an open WebSocket (see the module invariants). */
export class WebSocketConnection implements ClientConn {
  readonly #socket: WebSocket;
  readonly #received = new Fifo<Uint8Array>();
  /** The message being read, and how much of it was. */
  #head: Uint8Array | null = null;
  #headAt = 0;
  #closed = false;
  #failure: NetworkError | null = null;
  #wake: (() => void) | null = null;
  /** Settles once the socket has closed (from either side). */
  readonly closed: Promise<void>;

  constructor(socket: WebSocket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => socket.addEventListener("close", () => resolve()));
    socket.addEventListener("message", (event) => {
      if (event.data instanceof ArrayBuffer) {
        if (event.data.byteLength > 0) this.#received.push(new Uint8Array(event.data));
      } else {
        this.#failure = new NetworkError("Cannot read from the server: it sent a text message");
        socket.close(4003, "text message");
      }
      this.#notify();
    });
    socket.addEventListener("close", () => {
      this.#closed = true;
      this.#notify();
    });
  }

  /** Whether the socket is open: neither side has started to close it. */
  get open(): boolean {
    return !this.#closed && this.#socket.readyState === WebSocket.OPEN;
  }

  /** Copies received bytes into `p`; null once the socket closed and everything was read. */
  async read(p: Uint8Array): Promise<number | null> {
    while (this.#head === null) {
      if (this.#received.size > 0) {
        this.#head = this.#received.shift();
        this.#headAt = 0;
        break;
      }
      if (this.#failure !== null) throw this.#failure;
      if (this.#closed) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    const head = this.#head;
    const n = Math.min(p.length, head.length - this.#headAt);
    p.set(head.subarray(this.#headAt, this.#headAt + n));
    this.#headAt += n;
    if (this.#headAt === head.length) this.#head = null;
    return n;
  }

  /** Sends `p` as one binary message once the socket's queue is below its bound. */
  async write(p: Uint8Array): Promise<number> {
    while (this.#socket.bufferedAmount > SEND_BUFFER_BYTES && !this.#closed) {
      await new Promise((resolve) => setTimeout(resolve, SEND_POLL_MS));
    }
    if (this.#closed || this.#socket.readyState !== WebSocket.OPEN) {
      throw new NetworkError("Cannot send to the server: the connection is closed");
    }
    this.#socket.send(p.slice());
    return p.length;
  }

  /** Closes the socket normally: the server's session ends as on a TLS close_notify. */
  closeWrite(): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /** Closes the socket; reads then drain what arrived. */
  close(): void {
    if (
      this.#socket.readyState === WebSocket.CONNECTING || this.#socket.readyState === WebSocket.OPEN
    ) {
      this.#socket.close(1000);
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
