import assert from "node:assert/strict";
import { ConfigError, NetworkError } from "../errors.ts";
import { generateCertificates } from "../tls/certificates.ts";
import { inTempDir } from "../../tests/_testing.ts";
import { testCertificates } from "../../tests/_scripted_server.ts";
import { connectToServer, readCaFile } from "./connection.ts";

/** Serves TLS handshakes on 127.0.0.1:0 with `cert` until `stop`; handshake errors are dropped. */
function tlsServer(cert: { serverCertPem: string; serverKeyPem: string }) {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: cert.serverCertPem,
    key: cert.serverKeyPem,
  });
  const serving = (async () => {
    for await (const conn of listener) {
      await conn.handshake().catch(() => {});
      conn.close();
    }
  })();
  return {
    port: listener.addr.port,
    stop: async () => {
      listener.close();
      await serving.catch(() => {});
    },
  };
}

/** Asserts a NetworkError with `code` whose message is `Cannot connect to WHERE: REASON`. */
function networkError(code: string, reason: RegExp): (error: unknown) => boolean {
  return (error) =>
    error instanceof NetworkError && error.code === code &&
    /^Cannot connect to 127\.0\.0\.1:\d+: /.test(error.message) && reason.test(error.message);
}

Deno.test("connectToServer() completes a handshake with a server its CA signed", async () => {
  const certs = await testCertificates();
  const server = tlsServer(certs);
  try {
    const conn = await connectToServer({
      hostname: "127.0.0.1",
      port: server.port,
      caCerts: [certs.caCertPem],
    });
    conn.close();
  } finally {
    await server.stop();
  }
});

Deno.test("connectToServer() says a refused connection is refused", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assert.rejects(
    connectToServer({ hostname: "127.0.0.1", port, caCerts: null }),
    networkError("NETWORK", /connection refused \(is burrow serve running\?\)$/),
  );
});

Deno.test("connectToServer() refuses a certificate from a CA it was not given", async () => {
  const server = tlsServer(await testCertificates());
  const other = await generateCertificates({ hosts: ["127.0.0.1"] });
  try {
    await assert.rejects(
      connectToServer({ hostname: "127.0.0.1", port: server.port, caCerts: [other.caCertPem] }),
      networkError("TLS", /not signed by a trusted CA \(check --ca\)$/),
    );
  } finally {
    await server.stop();
  }
});

Deno.test("connectToServer() refuses a certificate for another host name", async () => {
  const certs = await generateCertificates({ hosts: ["burrow.example"] });
  const server = tlsServer(certs);
  try {
    await assert.rejects(
      connectToServer({ hostname: "127.0.0.1", port: server.port, caCerts: [certs.caCertPem] }),
      networkError("TLS", /not valid for this host name$/),
    );
  } finally {
    await server.stop();
  }
});

Deno.test("connectToServer() gives up on a server that never answers the handshake", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    await assert.rejects(
      connectToServer({
        hostname: "127.0.0.1",
        port: listener.addr.port,
        caCerts: null,
        timeoutMs: 200,
      }),
      networkError("TIMEOUT", /no answer within 0\.2 s$/),
    );
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
  }
});

Deno.test("readCaFile() names a missing file and one without a certificate", async () => {
  await inTempDir(async (dir) => {
    await assert.rejects(readCaFile(`${dir}/none.pem`), {
      name: "ConfigError",
      message: `Cannot read CA file "${dir}/none.pem": no such file`,
    });
    await Deno.writeTextFile(`${dir}/key.pem`, "-----BEGIN PRIVATE KEY-----\n");
    await assert.rejects(
      readCaFile(`${dir}/key.pem`),
      (e) => e instanceof ConfigError && /no PEM certificate in it$/.test(e.message),
    );
    const certs = await testCertificates();
    await Deno.writeTextFile(`${dir}/ca.pem`, certs.caCertPem);
    assert.equal(await readCaFile(`${dir}/ca.pem`), certs.caCertPem);
  });
});
