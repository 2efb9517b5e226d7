/**
 * Chunks fetched as streamed HTTPS responses, for the web page: each `getChunks` is one POST to
 * the server's stream address whose body holds three frames (hello, a ticket login with a ticket
 * from `BurrowClient.streamTicket`, the `get_chunks` request) and whose response carries the
 * replies, read with the same frame reader and limits as over TLS. Chromium takes in a streamed
 * response several times faster than WebSocket messages.
 *
 * Invariant: a reply is used only when the three replies came in order under their request ids
 * and each is the expected message; an `error` reply rejects with its domain error.
 *
 * @module
 */
import { concatBytes } from "../concat_bytes.ts";
import { BurrowError, NetworkError, ProtocolError } from "../errors.ts";
import {
  CLIENT_READ_LIMITS,
  decodeServerMessage,
  encodeFrame,
  encodeMessage,
  errorFromWire,
  FrameStream,
  type MessageName,
  MessageType,
  type Payloads,
  PROTOCOL_VERSION,
} from "../protocol/mod.ts";
import { ReadableBytes } from "../readable_bytes.ts";
import type { ChunkFetcher } from "./remote_chunk_source.ts";

/** The content type of a chunk stream's request. */
const STREAM_TYPE = "application/octet-stream";
const CLIENT_NAME = "burrow-page/0.1.0";

/** A `ChunkFetcher` over streamed HTTPS requests that log in with a ticket. */
export class StreamChunkFetcher implements ChunkFetcher {
  /** The server's stream address. */
  readonly url: string;
  readonly #ticket: Uint8Array;
  readonly #fetch: typeof fetch;

  /** `url`: the server's stream address; `ticket`: from `BurrowClient.streamTicket`. */
  constructor(
    url: string,
    ticket: Uint8Array,
    fetchImpl: typeof fetch = (input, init) => fetch(input, init),
  ) {
    this.url = url;
    this.#ticket = ticket.slice();
    this.#fetch = fetchImpl;
  }

  /** Fetches blobs: a prefix of `ids` (as many as fit one reply) and the ids the server lacks. */
  async getChunks(ids: Uint8Array[]): Promise<Payloads["chunks"]> {
    const body = concatBytes([
      frame("hello", 1, { protocol: [PROTOCOL_VERSION], client: CLIENT_NAME }),
      frame("ticket_login", 2, { ticket: this.#ticket }),
      frame("get_chunks", 3, { ids }),
    ]);
    let response: Response;
    try {
      response = await this.#fetch(this.url, {
        method: "POST",
        body,
        headers: { "Content-Type": STREAM_TYPE },
        cache: "no-store",
        credentials: "omit",
        redirect: "error",
      });
    } catch (error) {
      throw new NetworkError("Cannot fetch chunks: the server cannot be reached", "NETWORK", {
        cause: error,
      });
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw new NetworkError(`Cannot fetch chunks: the server answered ${response.status}`);
    }
    const bytes = new ReadableBytes(response.body);
    const stream = new FrameStream({
      read: (p) => bytes.read(p),
      write: refuseWrite,
      close: () => bytes.cancel(),
    }, {
      limits: CLIENT_READ_LIMITS,
    });
    try {
      await readReply(stream, 1, "hello_ok");
      await readReply(stream, 2, "login_ok");
      const chunks = await readReply(stream, 3, "chunks");
      // Read to the end, so that the browser may reuse the connection for the next request.
      if (await stream.readFrame() !== null) {
        throw new ProtocolError("Cannot use the reply: the server sent more than was asked");
      }
      return chunks;
    } catch (error) {
      if (error instanceof BurrowError) throw error;
      throw new NetworkError("Cannot fetch chunks: the connection failed", "NETWORK", {
        cause: error,
      });
    } finally {
      stream.close();
    }
  }
}

function frame<T extends MessageName>(type: T, id: number, payload: Payloads[T]): Uint8Array {
  return encodeFrame(MessageType[type], id, encodeMessage(type, payload));
}

/** The payload of the next frame, which must be `expect` under request id `id`. */
async function readReply<T extends MessageName>(
  stream: FrameStream,
  id: number,
  expect: T,
): Promise<Payloads[T]> {
  const frame = await stream.readFrame();
  if (frame === null) {
    throw new NetworkError("Cannot fetch chunks: the server closed the stream early");
  }
  const message = decodeServerMessage(frame);
  if (message.type === "error") {
    const { code, message: text, retryAfterMs } = message.payload;
    throw errorFromWire(code, text, retryAfterMs);
  }
  if (frame.requestId !== id || message.type !== expect) {
    throw new ProtocolError(
      `Cannot use the reply: expected "${expect}" for request ${id}, got "${message.type}" for ${frame.requestId}`,
    );
  }
  return message.payload as Payloads[T];
}

function refuseWrite(): Promise<number> {
  return Promise.reject(new Error("Cannot write: a chunk stream's response is read only"));
}
