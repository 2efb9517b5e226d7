/**
 * Request/reply over one frame stream: each request gets a fresh id, replies are matched by id
 * (so requests can be pipelined), and an `error` reply rejects with the matching domain error.
 * An `error` with request id 0 is the server's reason for ending the connection (busy, shutting
 * down, a broken frame): it rejects every pending and later request.
 *
 * @module
 */
import { NetworkError, ProtocolError } from "../errors.ts";
import {
  type ByteStream,
  CLIENT_READ_LIMITS,
  decodeMessage,
  encodeMessageParts,
  errorFromWire,
  FrameStream,
  type MessageName,
  MessageType,
  type Payloads,
} from "../protocol/mod.ts";

interface Pending {
  expect: MessageName;
  resolve: (payload: unknown) => void;
  reject: (error: Error) => void;
}

/** A client's side of one connection. */
export class RpcChannel {
  readonly #stream: FrameStream;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: Error | null = null;
  readonly #readLoop: Promise<void>;

  constructor(conn: ByteStream) {
    this.#stream = new FrameStream(conn, { limits: CLIENT_READ_LIMITS });
    this.#readLoop = this.#readReplies();
  }

  /** Sends `type` and resolves with the payload of the `expect` reply. */
  request<T extends MessageName, R extends MessageName>(
    type: T,
    payload: Payloads[T],
    expect: R,
  ): Promise<Payloads[R]> {
    return this.send(type, payload, expect).reply;
  }

  /**
   * Sends `type`; `written` resolves once the whole frame went to the connection (the payload's
   * buffers may then be reused), `reply` with the payload of the `expect` reply.
   */
  send<T extends MessageName, R extends MessageName>(
    type: T,
    payload: Payloads[T],
    expect: R,
  ): { written: Promise<void>; reply: Promise<Payloads[R]> } {
    if (this.#failure !== null) {
      const failed = Promise.reject(this.#failure);
      failed.catch(() => {});
      return { written: failed, reply: failed };
    }
    const parts = encodeMessageParts(type, payload); // throws before anything is pending
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 0xffff_fffe ? 1 : this.#nextId + 1;
    const reply = new Promise<Payloads[R]>((resolve, reject) => {
      this.#pending.set(id, { expect, resolve: resolve as (p: unknown) => void, reject });
    });
    const written = this.#stream.writeFrameParts(MessageType[type], id, parts).catch((error) => {
      const failure = new NetworkError(`Cannot send "${type}": the connection failed`, "NETWORK", {
        cause: error,
      });
      this.#fail(failure);
      throw failure;
    });
    written.catch(() => {});
    return { written, reply };
  }

  /** Closes the connection; pending requests reject. */
  async close(): Promise<void> {
    this.#fail(new NetworkError("Cannot finish the request: the connection was closed"));
    this.#stream.close();
    await this.#readLoop;
  }

  async #readReplies(): Promise<void> {
    try {
      for (;;) {
        const frame = await this.#stream.readFrame();
        if (frame === null) break;
        const pending = this.#pending.get(frame.requestId);
        if (pending === undefined) {
          // An error about no request in particular (id 0) or a reply to nothing: the server
          // is about to close the connection; report its reason to every waiting request.
          const message = decodeMessage(frame);
          if (message.type === "error") {
            this.#fail(errorFromWire(message.payload.code, message.payload.message));
          }
          continue;
        }
        this.#pending.delete(frame.requestId);
        this.#settle(pending, () => decodeMessage(frame));
      }
      this.#fail(new NetworkError("Cannot finish the request: the server closed the connection"));
    } catch (error) {
      this.#fail(
        error instanceof ProtocolError
          ? error
          : new NetworkError("Cannot finish the request: the connection failed", "NETWORK", {
            cause: error,
          }),
      );
    }
  }

  #settle(pending: Pending, decode: () => ReturnType<typeof decodeMessage>): void {
    try {
      const message = decode();
      if (message.type === "error") {
        pending.reject(
          errorFromWire(
            message.payload.code,
            message.payload.message,
            message.payload.retryAfterMs,
          ),
        );
      } else if (message.type !== pending.expect) {
        pending.reject(
          new ProtocolError(
            `Cannot use the reply: expected "${pending.expect}", got "${message.type}"`,
          ),
        );
      } else {
        pending.resolve(message.payload);
      }
    } catch (error) {
      pending.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
  }
}
