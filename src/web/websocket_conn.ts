/**
 * A WebSocket as the byte stream a `Session` reads and writes: each binary message the client
 * sends is a run of bytes of the frame stream (frames may span messages), and each write goes
 * out as binary messages of at most 64 KiB.
 *
 * A WebSocket cannot be told to stop reading, so what arrives unread is bounded instead: more than
 * 1 MiB before login, or one largest frame and 4 MiB more after it, closes the connection, as
 * does a text message. Writes wait while more than 8 MiB wait to be sent, so a slow browser makes
 * the session wait rather than the server buffer without limit.
 *
 * @module
 */
import { NetworkError, ProtocolError } from "../errors.ts";
import { FRAME_HEADER_SIZE, MAX_FRAME_BODY } from "../protocol/mod.ts";
import type { SessionConn } from "../server/session.ts";

const MiB = 1024 * 1024;

/** Limits of a `WebSocketConn`, in bytes. */
export interface WebSocketConnLimits {
  /** Received and not yet read, before login; more closes the connection. */
  maxUnreadBeforeLogin: number;
  /** Received and not yet read, once logged in; more closes the connection. */
  maxUnread: number;
  /** Handed to the socket and not yet sent, above which `write` waits. */
  maxUnsent: number;
}

/** Defaults: 1 MiB unread before login, a largest frame + 4 MiB after, 8 MiB unsent. */
export const DEFAULT_WEBSOCKET_LIMITS: WebSocketConnLimits = {
  maxUnreadBeforeLogin: 1 * MiB,
  maxUnread: FRAME_HEADER_SIZE + MAX_FRAME_BODY + 4 * MiB,
  maxUnsent: 8 * MiB,
};

/** The close code the server sends when the client broke the transport's rules. */
export const CLOSE_TRANSPORT_ERROR = 4000;
/** How often a waiting writer looks at the socket's unsent bytes. */
const POLL_MS = 2;
/**
 * Largest WebSocket message written: a reply is sent as messages of at most this size, which
 * Chromium receives faster than one message of megabytes (docs/PERFORMANCE.md).
 */
const MESSAGE_BYTES = 64 * 1024;

/** The two ends of the connection the WebSocket runs over. */
export interface WebSocketAddrs {
  localAddr: Deno.NetAddr;
  remoteAddr: Deno.NetAddr;
}

/**
 * A `SessionConn` over a server-side WebSocket. One reader at a time (as `FrameStream` reads);
 * writes are sent in call order.
 */
export class WebSocketConn implements SessionConn {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  readonly #socket: WebSocket;
  readonly #limits: WebSocketConnLimits;
  readonly #opened: Promise<void>;
  /** Fails the handshake; used when the socket is closed before it opened. */
  #refuseOpen: (error: NetworkError) => void = () => {};
  /** Closed while still connecting: Deno forgets that close, so it is repeated once open. */
  #closeOnOpen: { code: number; reason: string } | null = null;
  #maxUnread: number;
  #queue: Uint8Array[] = [];
  /** Bytes of `#queue[0]` already read. */
  #offset = 0;
  #unread = 0;
  #ended = false;
  #failure: ProtocolError | null = null;
  #wake: (() => void) | null = null;

  /** Takes over `socket` (sets its binaryType); `limits` default to `DEFAULT_WEBSOCKET_LIMITS`. */
  constructor(
    socket: WebSocket,
    addrs: WebSocketAddrs,
    limits: WebSocketConnLimits = DEFAULT_WEBSOCKET_LIMITS,
  ) {
    this.#socket = socket;
    this.localAddr = addrs.localAddr;
    this.remoteAddr = addrs.remoteAddr;
    this.#limits = limits;
    this.#maxUnread = limits.maxUnreadBeforeLogin;
    socket.binaryType = "arraybuffer";
    this.#opened = new Promise<void>((resolve, reject) => {
      this.#refuseOpen = reject;
      if (socket.readyState === WebSocket.OPEN) resolve();
      socket.addEventListener("open", () => {
        resolve();
        const close = this.#closeOnOpen;
        if (close !== null) socket.close(close.code, close.reason);
      }, { once: true });
      socket.addEventListener("close", () => reject(closedBeforeOpen()), { once: true });
    });
    this.#opened.catch(() => {});
    socket.addEventListener("message", (event) => this.#receive(event.data));
    socket.addEventListener("close", () => {
      this.#ended = true;
      this.#wakeReader();
    });
  }

  /** Resolves once the WebSocket is open (TLS was done by the HTTPS server); rejects if it closed. */
  handshake(): Promise<void> {
    return this.#opened;
  }

  /** From now on, up to a largest frame (and 4 MiB more) may wait unread. */
  loggedIn(): void {
    this.#maxUnread = this.#limits.maxUnread;
  }

  /**
   * Fills a prefix of `p` with received bytes, waiting for a message when none are left.
   * @returns the count, or null once the socket closed and everything received was read
   * @throws {ProtocolError} once the client sent a text message or too much unread
   */
  async read(p: Uint8Array): Promise<number | null> {
    for (;;) {
      if (this.#failure !== null) throw this.#failure;
      const head = this.#queue[0];
      if (head !== undefined) {
        const n = Math.min(p.length, head.length - this.#offset);
        p.set(head.subarray(this.#offset, this.#offset + n));
        this.#offset += n;
        this.#unread -= n;
        if (this.#offset === head.length) {
          this.#queue.shift();
          this.#offset = 0;
        }
        return n;
      }
      if (this.#ended) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /**
   * Sends `p` as binary messages of at most 64 KiB once no more than the unsent limit waits in the socket. The
   * bytes are taken when the message is handed over: the caller may reuse `p` once this resolves.
   * @returns `p.length`
   * @throws {NetworkError} when the socket is not open (or closes while waiting)
   */
  async write(p: Uint8Array): Promise<number> {
    while (this.#socket.readyState === WebSocket.OPEN) {
      if (this.#socket.bufferedAmount <= this.#limits.maxUnsent) {
        // A view of shared memory cannot be sent as it is.
        const bytes = p.buffer instanceof ArrayBuffer ? p as Uint8Array<ArrayBuffer> : p.slice();
        for (let at = 0; at < bytes.length; at += MESSAGE_BYTES) {
          this.#socket.send(bytes.subarray(at, at + MESSAGE_BYTES));
        }
        return p.length;
      }
      await sleep(POLL_MS);
    }
    throw new NetworkError("Cannot write to the WebSocket: it is closed");
  }

  /** Waits until everything written was sent (or the socket closes), then starts the close. */
  async closeWrite(): Promise<void> {
    while (this.#socket.readyState === WebSocket.OPEN && this.#socket.bufferedAmount > 0) {
      await sleep(POLL_MS);
    }
    this.close();
  }

  /** Closes the WebSocket (normal closure); reads return what was received, then null. */
  close(): void {
    this.#closeSocket(1000, "");
    this.#ended = true;
    this.#wakeReader();
  }

  #receive(data: unknown): void {
    if (this.#failure !== null || this.#ended) return;
    if (!(data instanceof ArrayBuffer)) {
      this.#fail("the client sent a text message; the protocol travels in binary messages only");
      return;
    }
    if (data.byteLength === 0) return;
    if (this.#unread + data.byteLength > this.#maxUnread) {
      this.#fail(
        `the client sent more than ${formatSize(this.#maxUnread)} the server has not read yet`,
      );
      return;
    }
    this.#queue.push(new Uint8Array(data));
    this.#unread += data.byteLength;
    this.#wakeReader();
  }

  /** Drops what was received, closes the socket saying why, and fails reads with `state`. */
  #fail(state: string): void {
    this.#failure = new ProtocolError(`Cannot read from the WebSocket: ${state}`);
    this.#queue = [];
    this.#offset = 0;
    this.#unread = 0;
    this.#closeSocket(CLOSE_TRANSPORT_ERROR, state);
    this.#wakeReader();
  }

  /**
   * Closes the socket once. Before it opened, the handshake fails at once: a client that left
   * before the upgrade was answered gets neither an open nor a close event from Deno, and the
   * session must not wait for one.
   */
  #closeSocket(code: number, reason: string): void {
    // A close reason is at most 123 bytes.
    const close = { code, reason: reason.slice(0, 120) };
    if (this.#socket.readyState === WebSocket.CONNECTING) {
      this.#closeOnOpen ??= close;
      this.#refuseOpen(closedBeforeOpen());
    }
    const state = this.#socket.readyState;
    if (state === WebSocket.CLOSING || state === WebSocket.CLOSED) return;
    try {
      this.#socket.close(close.code, close.reason);
    } catch {
      // Closed meanwhile.
    }
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

function closedBeforeOpen(): NetworkError {
  return new NetworkError("Cannot open the WebSocket: it closed before it opened");
}

/** "1 MiB", "20.1 MiB", "1000 bytes". */
function formatSize(bytes: number): string {
  return bytes < MiB ? `${bytes} bytes` : `${Math.round((bytes / MiB) * 10) / 10} MiB`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
