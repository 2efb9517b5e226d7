/**
 * Test helpers for this folder: a real TLS round trip on 127.0.0.1 and an `openssl` probe.
 * Only `*_test.ts` files import this module.
 *
 * @module
 */

/** The server side of a round trip: its PEM certificate (chain) and key. */
export interface TestServer {
  certPem: string;
  keyPem: string;
}

/**
 * Serves one connection on 127.0.0.1:0 with the given certificate, connects to it by hostname
 * trusting caPem, sends `ping` and returns what the server echoed (`PING`). Every resource is
 * closed before it returns or throws; the client's error is the one thrown.
 */
export async function tlsRoundTrip(
  server: TestServer,
  hostname: string,
  caPem: string,
): Promise<string> {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: server.certPem,
    key: server.keyPem,
  });
  const serving = serveOnce(listener);
  try {
    const client = await Deno.connectTls({ hostname, port: listener.addr.port, caCerts: [caPem] });
    try {
      await client.handshake();
      await writeAll(client, new TextEncoder().encode("ping"));
      return new TextDecoder().decode(await readExactly(client, 4));
    } finally {
      client.close();
    }
  } finally {
    await serving;
    listener.close();
  }
}

/** Accepts one connection and echoes 4 bytes upper-cased; handshake errors are swallowed. */
async function serveOnce(listener: Deno.TlsListener): Promise<void> {
  const conn = await listener.accept();
  try {
    const bytes = await readExactly(conn, 4);
    await writeAll(conn, new TextEncoder().encode(new TextDecoder().decode(bytes).toUpperCase()));
  } catch {
    // The client reports the failure; the server only has to let go of the connection.
  } finally {
    conn.close();
  }
}

async function readExactly(conn: Deno.Conn, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  for (let done = 0; done < length;) {
    const count = await conn.read(buffer.subarray(done));
    if (count === null) throw new Error("Cannot read: connection closed early");
    done += count;
  }
  return buffer;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await conn.write(bytes.subarray(done));
}

/** Whether an `openssl` binary can be run (tests use it only to cross-check). */
export const hasOpenssl: boolean = (() => {
  try {
    return new Deno.Command("openssl", { args: ["version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

/** Runs openssl with stdin text and returns its stdout; throws with its stderr on failure. */
export async function openssl(args: string[], stdin = ""): Promise<string> {
  const child = new Deno.Command("openssl", {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const output = await child.output();
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new Error(`openssl ${args.join(" ")}: ${decoder.decode(output.stderr)}`);
  }
  return decoder.decode(output.stdout);
}
