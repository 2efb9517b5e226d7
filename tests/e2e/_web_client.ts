/**
 * A client of the web port's WebSocket, as the page speaks it, for end-to-end tests. Run in its
 * own process with the server's CA trusted (`deno run -A --cert CA _web_client.ts …`), since
 * Deno's WebSocket trusts only the CAs it was started with. Prints one JSON object per line.
 *
 *   login URL ORIGIN USER   hello, login (password in BURROW_PASSWORD), list_snapshots
 *   idle URL ORIGIN N       opens N WebSockets, says hello on each, then prints the `error` each
 *                           one is sent under request id 0 (or that it closed) until all are gone
 *   open URL ORIGIN         whether a WebSocket opens at all
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { deriveClientKeys, parseClientKdf } from "../../src/auth/mod.ts";
import { RpcChannel } from "../../src/client/rpc_channel.ts";
import { errorMessage } from "../../src/errors.ts";
import {
  type ByteStream,
  CLIENT_READ_LIMITS,
  decodeServerMessage,
  encodeMessage,
  FrameStream,
  MessageType,
  PROTOCOL_VERSION,
} from "../../src/protocol/mod.ts";

/** The frame stream's bytes over a WebSocket: each write is one binary message. */
class WebSocketByteStream implements ByteStream {
  readonly #socket: WebSocket;
  readonly #queue: Uint8Array[] = [];
  #closed = false;
  #wake: (() => void) | null = null;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      this.#queue.push(new Uint8Array(event.data as ArrayBuffer));
      this.#wake?.();
    };
    socket.onclose = () => {
      this.#closed = true;
      this.#wake?.();
    };
  }

  /** Opens `url` sending `origin` as the Origin header; rejects when the upgrade is refused. */
  static open(url: string, origin: string): Promise<WebSocketByteStream> {
    const socket = new WebSocket(url, { headers: { Origin: origin } });
    socket.binaryType = "arraybuffer";
    return new Promise((resolve, reject) => {
      socket.onopen = () => resolve(new WebSocketByteStream(socket));
      socket.onerror = (event) => reject(new Error((event as ErrorEvent).message));
    });
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#queue.length === 0) {
      if (this.#closed) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
    const head = this.#queue[0]!;
    const n = Math.min(p.length, head.length);
    p.set(head.subarray(0, n));
    if (n === head.length) this.#queue.shift();
    else this.#queue[0] = head.subarray(n);
    return n;
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error("Cannot write: the WebSocket is closed"));
    }
    this.#socket.send(p.slice());
    return Promise.resolve(p.length);
  }

  close(): void {
    this.#socket.close();
  }
}

function print(value: unknown): void {
  console.log(JSON.stringify(value));
}

async function login(url: string, origin: string, user: string): Promise<void> {
  const rpc = new RpcChannel(await WebSocketByteStream.open(url, origin));
  try {
    await rpc.request("hello", { protocol: [PROTOCOL_VERSION], client: "web test" }, "hello_ok");
    const { kdf } = await rpc.request("login_start", { user }, "login_challenge");
    const keys = await deriveClientKeys(Deno.env.get("BURROW_PASSWORD") ?? "", parseClientKdf(kdf));
    await rpc.request("login_proof", { authKey: keys.authKey }, "login_ok");
    const listed = await rpc.request("list_snapshots", {}, "snapshots");
    print({ loggedIn: user, snapshots: listed.snapshots.length });
  } catch (error) {
    print({ error: errorMessage(error), code: (error as { code?: string }).code ?? null });
  } finally {
    await rpc.close();
  }
}

async function idle(url: string, origin: string, count: number): Promise<void> {
  const streams = [];
  for (let i = 0; i < count; i++) {
    const frames = new FrameStream(await WebSocketByteStream.open(url, origin), {
      limits: CLIENT_READ_LIMITS,
    });
    const hello = { protocol: [PROTOCOL_VERSION], client: "web test" };
    await frames.writeFrame(MessageType.hello, 1, encodeMessage("hello", hello));
    const reply = await frames.readFrame();
    if (reply === null || decodeServerMessage(reply).type !== "hello_ok") {
      throw new Error(`Cannot say hello on WebSocket ${i}`);
    }
    streams.push(frames);
  }
  print({ open: count });
  await Promise.all(streams.map(async (frames, index) => {
    try {
      for (let frame = await frames.readFrame(); frame !== null; frame = await frames.readFrame()) {
        const message = decodeServerMessage(frame);
        if (message.type === "error") print({ index, id: frame.requestId, ...message.payload });
      }
      print({ index, closed: true });
    } catch (error) {
      print({ index, closed: true, error: errorMessage(error) });
    }
  }));
}

async function open(url: string, origin: string): Promise<void> {
  try {
    (await WebSocketByteStream.open(url, origin)).close();
    print({ opened: true });
  } catch (error) {
    print({ opened: false, error: errorMessage(error) });
  }
}

const [command, url = "", origin = "", arg = ""] = Deno.args;
if (command === "login") await login(url, origin, arg);
else if (command === "idle") await idle(url, origin, Number(arg));
else if (command === "open") await open(url, origin);
else throw new Error(`Unknown command ${command}`);
