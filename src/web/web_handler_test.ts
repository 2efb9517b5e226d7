import assert from "node:assert/strict";
import { recordingLogger } from "../../tests/_testing.ts";
import type { SessionConn } from "../server/session.ts";
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from "./_security_headers.ts";
import type { PageAssets } from "./_static_assets.ts";
import { type ConnectionHost, webHandler } from "./web_handler.ts";

const ASSETS: PageAssets = new Map([
  ["/", { contentType: "text/html; charset=utf-8", body: "<!doctype html><title>burrow</title>" }],
  ["/app.js", { contentType: "text/javascript; charset=utf-8", body: "export {};\n" }],
  ["/sw.js", { contentType: "text/javascript; charset=utf-8", body: "// worker\n" }],
  ["/big.js", {
    contentType: "text/javascript; charset=utf-8",
    body: "// a comment\n".repeat(200),
  }],
  ["/icon.png", { contentType: "image/png", body: "p".repeat(4096) }],
]);
const PAGE = "https://localhost:7444";
const INFO: Deno.ServeHandlerInfo = {
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
  completed: Promise.resolve(),
};
const LOCAL: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 7444 };

/** A host that serves each connection by echoing what it reads, and counts them. */
function echoHost(): ConnectionHost & { served: string[] } {
  const served: string[] = [];
  return {
    served,
    async serve(conn: SessionConn, via?: string) {
      served.push(via ?? "");
      await conn.handshake();
      const buffer = new Uint8Array(1024);
      for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
        await conn.write(buffer.slice(0, n));
      }
      conn.close();
    },
  };
}

function handler(hosts: string[] = ["localhost", "127.0.0.1", "::1"]) {
  const { logger, lines } = recordingLogger();
  const sessions = echoHost();
  const handle = webHandler({ assets: ASSETS, hosts, sessions, localAddr: () => LOCAL, logger });
  return { handle, lines, sessions };
}

function assertSecurityHeaders(response: Response, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    assert.equal(response.headers.get(name), value, `${what}: ${name}`);
  }
}

Deno.test("webHandler() serves each page file with its type, an ETag, no-cache and the security headers", async () => {
  const { handle } = handler();
  for (const [path, asset] of ASSETS) {
    const response = handle(new Request(`${PAGE}${path}?v=1`), INFO);
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get("Content-Type"), asset.contentType);
    assert.equal(response.headers.get("Cache-Control"), "no-cache");
    assert.match(response.headers.get("ETag") ?? "", /^"[\w-]{22}"$/);
    assert.equal(response.headers.get("Service-Worker-Allowed"), path === "/sw.js" ? "/" : null);
    assertSecurityHeaders(response, path);
    assert.equal(await response.text(), asset.body);
  }
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self' 'wasm-unsafe-eval';/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|'unsafe-eval'|\*|https?:/);
});

Deno.test("webHandler() answers HEAD without a body, and 304 to a matching If-None-Match", async () => {
  const { handle } = handler();
  const head = handle(new Request(`${PAGE}/app.js`, { method: "HEAD" }), INFO);
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
  assert.equal(head.headers.get("Content-Length"), "11");
  const etag = head.headers.get("ETag") ?? "";
  for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
    const again = handle(
      new Request(`${PAGE}/app.js`, { headers: { "If-None-Match": ifNoneMatch } }),
      INFO,
    );
    assert.equal(again.status, 304, ifNoneMatch);
    assert.equal(again.headers.get("ETag"), etag);
    assertSecurityHeaders(again, "304");
    assert.equal(again.body, null);
  }
  const stale = handle(
    new Request(`${PAGE}/app.js`, { headers: { "If-None-Match": '"x"' } }),
    INFO,
  );
  assert.equal(stale.status, 200);
  const other = handle(new Request(`${PAGE}/`), INFO).headers.get("ETag");
  assert.notEqual(other, etag, "each body has its own ETag");
  await stale.body?.cancel();
});

Deno.test("webHandler() sends a text file of 1 KiB or more gzip-compressed to a browser that accepts gzip", async () => {
  const { handle } = handler();
  const get = (path: string, acceptEncoding?: string, ifNoneMatch?: string) =>
    handle(
      new Request(`${PAGE}${path}`, {
        headers: {
          ...(acceptEncoding === undefined ? {} : { "Accept-Encoding": acceptEncoding }),
          ...(ifNoneMatch === undefined ? {} : { "If-None-Match": ifNoneMatch }),
        },
      }),
      INFO,
    );
  const body = ASSETS.get("/big.js")!.body;
  const zipped = get("/big.js", "gzip, deflate, br, zstd");
  assert.equal(zipped.headers.get("Content-Encoding"), "gzip");
  assert.equal(zipped.headers.get("Vary"), "Accept-Encoding");
  assert.equal(zipped.headers.get("Content-Type"), "text/javascript; charset=utf-8");
  const bytes = new Uint8Array(await zipped.arrayBuffer());
  assert.equal(Number(zipped.headers.get("Content-Length")), bytes.length);
  assert.ok(bytes.length < body.length / 10, `${bytes.length} bytes`);
  const unzipped = new Response(
    new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")),
  );
  assert.equal(await unzipped.text(), body);

  const plain = get("/big.js");
  assert.equal(plain.headers.get("Content-Encoding"), null);
  assert.equal(plain.headers.get("Vary"), "Accept-Encoding");
  assert.equal(await plain.text(), body);
  const zippedTag = zipped.headers.get("ETag")!;
  assert.notEqual(zippedTag, plain.headers.get("ETag"), "each encoding has its own ETag");
  assert.equal(get("/big.js", "gzip", zippedTag).status, 304);
  const other = get("/big.js", undefined, zippedTag);
  assert.equal(other.status, 200, "the gzip ETag does not stand for the plain body");
  await other.body?.cancel();

  for (const refused of ["gzip;q=0", "identity", "br", "*;q=0", "gzip; q=0.0"]) {
    const response = get("/big.js", refused);
    assert.equal(response.headers.get("Content-Encoding"), null, refused);
    await response.body?.cancel();
  }
  for (const accepted of ["*", "GZIP", "br;q=1, gzip;q=0.5", "identity, *;q=0.1"]) {
    const response = get("/big.js", accepted);
    assert.equal(response.headers.get("Content-Encoding"), "gzip", accepted);
    await response.body?.cancel();
  }
  for (const path of ["/app.js", "/icon.png"]) {
    const response = get(path, "gzip");
    assert.equal(response.headers.get("Content-Encoding"), null, `${path}: small or binary`);
    await response.body?.cancel();
  }
});

Deno.test("webHandler() answers 404 to an unknown path and 405 to other methods, with the headers", async () => {
  const { handle } = handler();
  const missing = handle(new Request(`${PAGE}/index.html`), INFO);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get("Content-Type"), "text/plain; charset=utf-8");
  assertSecurityHeaders(missing, "404");
  assert.equal(await missing.text(), "Not found\n");
  for (const method of ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"]) {
    for (const path of ["/", "/ws", "/nothing"]) {
      if (method === "POST" && path === "/stream") continue;
      const refused = handle(new Request(`${PAGE}${path}`, { method }), INFO);
      assert.equal(refused.status, 405, `${method} ${path}`);
      assert.equal(refused.headers.get("Allow"), "GET, HEAD");
      assertSecurityHeaders(refused, "405");
      await refused.body?.cancel();
    }
  }
});

Deno.test("webHandler() refuses a WebSocket from another origin or host with 403, and logs it", async () => {
  const { handle, lines, sessions } = handler(["localhost", "*.example.com"]);
  const upgrade = { Upgrade: "websocket", Connection: "Upgrade" };
  const refused: [string, Record<string, string>][] = [
    [`${PAGE}/ws`, { ...upgrade }],
    [`${PAGE}/ws`, { ...upgrade, Origin: "https://evil.example:7444" }],
    [`${PAGE}/ws`, { ...upgrade, Origin: "http://localhost:7444" }],
    [`${PAGE}/ws`, { ...upgrade, Origin: "https://localhost:7445" }],
    [`${PAGE}/ws`, { ...upgrade, Origin: "null" }],
    // DNS rebinding: the attacker's name, pointed at the server, is its own origin.
    ["https://evil.example:7444/ws", { ...upgrade, Origin: "https://evil.example:7444" }],
    ["https://a.b.example.com:7444/ws", { ...upgrade, Origin: "https://a.b.example.com:7444" }],
  ];
  for (const [url, headers] of refused) {
    const response = handle(new Request(url, { headers }), INFO);
    assert.equal(response.status, 403, `${url} ${headers.Origin}`);
    assertSecurityHeaders(response, "403");
    await response.body?.cancel();
  }
  assert.equal(sessions.served.length, 0, "no refused request reached a session");
  const warnings = lines.filter((line) => line.message.startsWith("websocket refused"));
  assert.equal(warnings.length, refused.length);
  assert.equal(warnings[1]?.fields.origin, "https://evil.example:7444");
  assert.equal(warnings[1]?.fields.addr, "127.0.0.1:50000");
  // The right origin, but no upgrade: not a WebSocket.
  const plain = handle(new Request(`${PAGE}/ws`, { headers: { Origin: PAGE } }), INFO);
  assert.equal(plain.status, 426);
  await plain.body?.cancel();
  const wildcard = handle(
    new Request("https://b.example.com:7444/ws", {
      headers: { Origin: "https://b.example.com:7444" },
    }),
    INFO,
  );
  assert.equal(
    wildcard.status,
    426,
    "a name under a wildcard of the certificate passes the origin check",
  );
  await wildcard.body?.cancel();
});

Deno.test("webHandler() upgrades a WebSocket from the page's origin and hands it to the host", async () => {
  const { handle, sessions } = handler(["127.0.0.1"]);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handle);
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const socket = new WebSocket(`ws://127.0.0.1:${server.addr.port}/ws`, {
    headers: { Origin: origin },
  });
  socket.binaryType = "arraybuffer";
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error("the upgrade was refused"));
  });
  const echoed = new Promise<Uint8Array>((resolve) => {
    socket.onmessage = (event) => resolve(new Uint8Array(event.data as ArrayBuffer));
  });
  socket.send(new Uint8Array([1, 2, 3]));
  assert.deepEqual(await echoed, new Uint8Array([1, 2, 3]));
  assert.deepEqual(sessions.served, ["websocket"]);
  const closed = new Promise((resolve) => (socket.onclose = resolve));
  socket.close();
  await closed;
  await server.shutdown();
});

Deno.test("webHandler() streams a POST to /stream from the page's origin through the host", async () => {
  const { handle, sessions } = handler();
  const response = handle(
    new Request(`${PAGE}/stream`, {
      method: "POST",
      headers: { Origin: PAGE, "Content-Type": "application/octet-stream" },
      body: new Uint8Array([4, 5, 6]),
    }),
    INFO,
  );
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("Content-Type"), "application/octet-stream");
  assert.equal(response.headers.get("Cache-Control"), "no-store");
  assertSecurityHeaders(response, "stream");
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), new Uint8Array([4, 5, 6]));
  assert.deepEqual(sessions.served, ["stream"]);
});

Deno.test("webHandler() refuses a /stream request from another origin, of another type, or not a POST", async () => {
  const { handle, lines, sessions } = handler();
  const type = { "Content-Type": "application/octet-stream" };
  const cases: [RequestInit, number][] = [
    [{ method: "POST", headers: { ...type }, body: "x" }, 403],
    [{ method: "POST", headers: { ...type, Origin: "https://evil.example" }, body: "x" }, 403],
    [{ method: "POST", headers: { Origin: PAGE, "Content-Type": "text/plain" }, body: "x" }, 415],
    [{ method: "POST", headers: { Origin: PAGE }, body: "x" }, 415],
    [{ method: "GET", headers: { Origin: PAGE } }, 405],
  ];
  for (const [init, status] of cases) {
    const response = handle(new Request(`${PAGE}/stream`, init), INFO);
    assert.equal(response.status, status, JSON.stringify(init.headers));
    assertSecurityHeaders(response, String(status));
    await response.body?.cancel();
  }
  assert.equal(sessions.served.length, 0, "no refused request reached a session");
  assert.equal(lines.filter((line) => line.message.startsWith("stream refused")).length, 2);
});
