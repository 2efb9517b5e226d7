/**
 * A scripted burrow peer for client tests: a TLS listener on 127.0.0.1 that serves one
 * connection with a script reading and writing frames, so a test can play a server that
 * misbehaves in one exact way (weak KDF parameters, a key written by another push meanwhile).
 *
 * @module
 */
import {
  decodeClientMessage,
  encodeMessage,
  FrameStream,
  type MessageName,
  MessageType,
  type Payloads,
  SERVER_READ_LIMITS,
} from "../src/protocol/mod.ts";
import type { ClientMessage } from "../src/protocol/mod.ts";
import type { BurrowClient } from "../src/client/burrow_client.ts";
import { connectClient } from "../src/client/connection.ts";
import { type CertificateBundle, generateCertificates } from "../src/tls/certificates.ts";

let bundle: Promise<CertificateBundle> | undefined;

/** A CA and a server certificate for localhost and 127.0.0.1, made once per test process. */
export function testCertificates(): Promise<CertificateBundle> {
  bundle ??= generateCertificates({ hosts: ["localhost", "127.0.0.1"] });
  return bundle;
}

/** The server's side of one scripted connection. */
export interface ScriptPeer {
  /** The next request, or null once the client closed the connection. */
  next(): Promise<{ id: number; message: ClientMessage } | null>;
  /** Answers request `id` with `type`. */
  reply<T extends MessageName>(id: number, type: T, payload: Payloads[T]): Promise<void>;
  /** Reads the next request, checks its type, and answers it. */
  answer<T extends MessageName>(
    expect: ClientMessage["type"],
    type: T,
    payload: Payloads[T],
  ): Promise<ClientMessage>;
}

/** A running scripted server. */
export interface ScriptedServer {
  hostname: string;
  port: number;
  caPem: string;
  /** Resolves when the script has finished; rejects with its failure. */
  done: Promise<void>;
}

/** Serves one connection on 127.0.0.1:0 with `script`, then stops listening. */
export async function scriptedServer(
  script: (peer: ScriptPeer) => Promise<void>,
): Promise<ScriptedServer> {
  const certs = await testCertificates();
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: certs.serverCertPem,
    key: certs.serverKeyPem,
  });
  const done = (async () => {
    const conn = await listener.accept();
    listener.close();
    const frames = new FrameStream(conn, { limits: SERVER_READ_LIMITS });
    const peer: ScriptPeer = {
      next: async () => {
        const frame = await frames.readFrame().catch(() => null);
        return frame === null ? null : { id: frame.requestId, message: decodeClientMessage(frame) };
      },
      reply: (id, type, payload) =>
        frames.writeFrame(MessageType[type], id, encodeMessage(type, payload)),
      answer: async (expect, type, payload) => {
        const request = await peer.next();
        if (request === null || request.message.type !== expect) {
          throw new Error(`expected "${expect}", got ${request?.message.type ?? "end of stream"}`);
        }
        await peer.reply(request.id, type, payload);
        return request.message;
      },
    };
    try {
      await script(peer);
    } finally {
      frames.close();
    }
  })();
  return { hostname: "127.0.0.1", port: listener.addr.port, caPem: certs.caCertPem, done };
}

/**
 * Runs `body` with a `BurrowClient` connected to a scripted server that answers `hello` (with
 * `signup` and `minPasswordLength` as given, else false and 8), then runs `script`; waits for the
 * script once the client has closed.
 */
export async function withScriptedClient(
  script: (peer: ScriptPeer) => Promise<void>,
  body: (client: BurrowClient) => Promise<void>,
  hello: { signup?: boolean; minPasswordLength?: number } = {},
): Promise<void> {
  const server = await scriptedServer(async (peer) => {
    await peer.answer("hello", "hello_ok", {
      protocol: 1,
      server: "scripted",
      signup: hello.signup ?? false,
      minPasswordLength: hello.minPasswordLength ?? 8,
    });
    await script(peer);
  });
  const client = await connectClient({
    hostname: server.hostname,
    port: server.port,
    caCerts: [server.caPem],
  });
  try {
    await body(client);
  } finally {
    await client.close();
    await server.done;
  }
}
