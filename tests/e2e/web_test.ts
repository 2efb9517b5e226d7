/**
 * End to end: the web port of `burrow serve`. The page is fetched over the server's real TLS, and
 * a client speaking the protocol over `wss://` runs in its own process (`_web_client.ts`), which
 * trusts the server's CA.
 */
import assert from "node:assert/strict";
import { addUser, burrow, clientOf, startServer, type TestServer, withServer } from "./_harness.ts";

const WEB_CLIENT = new URL("./_web_client.ts", import.meta.url).pathname;

/** The web port's WebSocket URL and the page's origin. */
function webOf(server: TestServer): { ws: string; origin: string; port: number } {
  assert.ok(server.webUrl !== null, "the server serves the web page");
  const url = new URL(server.webUrl);
  return { ws: `wss://${url.host}/ws`, origin: url.origin, port: Number(url.port) };
}

/** Starts `_web_client.ts ARGS…` trusting the server's CA. */
function spawnWebClient(
  server: TestServer,
  args: string[],
  env: Record<string, string> = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--cert", server.caPath, WEB_CLIENT, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
  }).spawn();
}

/** Runs `_web_client.ts ARGS…` to completion and returns the JSON lines it printed. */
async function webClient(
  server: TestServer,
  args: string[],
  env: Record<string, string> = {},
): Promise<Record<string, unknown>[]> {
  const output = await spawnWebClient(server, args, env).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, `${stdout}\n${new TextDecoder().decode(output.stderr)}`);
  return stdout.trim().split("\n").map((line) => JSON.parse(line));
}

/** An HTTPS client that trusts the server's CA. */
async function httpsClient(server: TestServer): Promise<Deno.HttpClient> {
  return Deno.createHttpClient({ caCerts: [await Deno.readTextFile(server.caPath)] });
}

/** TCP ports the process `pid` listens on (from /proc: its socket inodes in LISTEN state). */
async function listeningPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for await (const entry of Deno.readDir(`/proc/${pid}/fd`)) {
    const target = await Deno.readLink(`/proc/${pid}/fd/${entry.name}`).catch(() => "");
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const rows = (await Deno.readTextFile(table)).trim().split("\n").slice(1);
    for (const row of rows) {
      const fields = row.trim().split(/\s+/);
      if (fields[3] === "0A" && inodes.has(fields[9] ?? "")) {
        ports.push(parseInt(fields[1]?.split(":")[1] ?? "", 16));
      }
    }
  }
  return ports.sort((a, b) => a - b);
}

async function waitFor(check: () => boolean | Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("web: serve prints the page's address and serves the page on the same certificate", async () => {
  await withServer(async (server) => {
    assert.match(
      server.banner,
      /^web on https:\/\/127\.0\.0\.1:\d+\/\n(metrics on \S+\n)?listening on /m,
    );
    const { port } = webOf(server);
    assert.notEqual(port, server.port);
    const client = await httpsClient(server);
    try {
      const page = await fetch(server.webUrl!, { client });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>burrow<\/title>/);
      assert.match(page.headers.get("Content-Security-Policy") ?? "", /^default-src 'none'; /);
      assert.equal(page.headers.get("Strict-Transport-Security"), "max-age=31536000");
      const missing = await fetch(new URL("/nothing", server.webUrl!), { client });
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get("X-Content-Type-Options"), "nosniff");
      await missing.body?.cancel();
    } finally {
      client.close();
    }
  });
});

Deno.test("web: a client logs in over wss:// with the protocol and lists snapshots; other origins get 403", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    await Deno.writeTextFile(`${work}/notes.txt`, "hello");
    const pushed = await clientOf(server, "alice", "alice-pass")(["push", `${work}/notes.txt`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const { ws, origin } = webOf(server);

    const env = { BURROW_PASSWORD: "alice-pass" };
    assert.deepEqual(await webClient(server, ["login", ws, origin, "alice"], env), [
      { loggedIn: "alice", snapshots: 1 },
    ]);
    const wrong = await webClient(server, ["login", ws, origin, "alice"], {
      BURROW_PASSWORD: "wrong",
    });
    assert.equal(wrong[0]?.code, "AUTH_FAILED", JSON.stringify(wrong));
    assert.match(
      server.stderrText(),
      /connection closed via=websocket conn=\d+ user=alice sent=\d+ reason="closed by client"/,
    );

    const [refused] = await webClient(server, ["open", ws, "https://evil.example"]);
    assert.equal(refused?.opened, false);
    assert.match(server.stderrText(), /websocket refused: not from the page's origin .*origin=/);
    const client = await httpsClient(server);
    try {
      for (
        const [headers, status] of [[{ Origin: "https://evil.example" }, 403], [{}, 403], [{
          Origin: origin,
        }, 426]] as const
      ) {
        const response = await fetch(new URL("/ws", server.webUrl!), { client, headers });
        assert.equal(response.status, status, JSON.stringify(headers));
        assert.equal(response.headers.get("X-Frame-Options"), "DENY");
        await response.body?.cancel();
      }
    } finally {
      client.close();
    }
  });
});

Deno.test("web: WebSockets share the pre-login pool with TLS connections and are drained on shutdown", async () => {
  const server = await startServer({
    extraArgs: [
      "--max-connections",
      "8",
      "--max-unauthenticated",
      "2",
      "--max-unauthenticated-per-address",
      "2",
    ],
  });
  let idle: Deno.ChildProcess | undefined;
  try {
    await addUser(server, "alice", "alice-pass");
    const { ws, origin } = webOf(server);
    idle = spawnWebClient(server, ["idle", ws, origin, "2"]);
    const lines = idle.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    const next = async (pattern: RegExp) => {
      while (!pattern.test(seen)) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`the web client ended before ${pattern}: ${seen}`);
        seen += value;
      }
    };
    await next(/\{"open":2\}/);
    // The pre-login pool is full of WebSockets: a TLS login evicts the oldest of them.
    const listed = await clientOf(server, "alice", "alice-pass")(["snapshots", "--json"]);
    assert.equal(listed.code, 0, listed.stderr);
    await next(/"index":0,"closed":true/);
    assert.match(seen, /\{"index":0,"id":0,"code":"BUSY","message":"[^"]*the server is busy/);
    assert.doesNotMatch(seen, /"index":1/, "the newer WebSocket stays");
    assert.equal(await server.stop(), 0);
    await next(/"index":1,"closed":true/);
    assert.match(seen, /\{"index":1,"id":0,"code":"BUSY","message":"[^"]*shutting down/);
    assert.equal((await idle.status).code, 0);
  } finally {
    await server.stop();
    await idle?.status;
    await idle?.stderr.cancel().catch(() => {});
    await Deno.remove(server.dataDir, { recursive: true });
  }
});

Deno.test("web: --web off serves no page; a taken web port is refused in one line", async () => {
  const withWeb = await startServer();
  const withoutWeb = await startServer({ extraArgs: ["--web", "off"] });
  const other = await Deno.makeTempDir({ prefix: "burrow-e2e-" });
  try {
    const webPort = webOf(withWeb).port;
    assert.deepEqual(
      await listeningPorts(withWeb.process.pid),
      [withWeb.port, webPort].sort((a, b) => a - b),
    );
    assert.equal(withoutWeb.webUrl, null);
    assert.doesNotMatch(withoutWeb.banner, /web on/);
    assert.deepEqual(await listeningPorts(withoutWeb.process.pid), [withoutWeb.port]);

    const taken = await burrow([
      "serve",
      "--listen",
      "127.0.0.1:0",
      "--web",
      `127.0.0.1:${webPort}`,
      "--data",
      other,
    ]);
    assert.equal(taken.code, 1);
    assert.equal(
      taken.stderr.split("\n").filter((line) => line.startsWith("burrow:")).join("\n"),
      `burrow: Cannot serve the web page on 127.0.0.1:${webPort}: the address is in use (is another burrow serve running?); choose another with --web, or --web off`,
    );
    const misuse = await burrow(["serve", "--web", "nowhere", "--data", other]);
    assert.equal(misuse.code, 2);
    assert.match(misuse.stderr, /^burrow: Invalid web address "nowhere": expected HOST:PORT/);
  } finally {
    await withWeb.stop();
    await withoutWeb.stop();
    for (const dir of [withWeb.dataDir, withoutWeb.dataDir, other]) {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("web: a flood that exhausts descriptors does not stop the server, and the page comes back", async () => {
  const server = await startServer({ prefix: ["prlimit", "--nofile=64:64", "--"] });
  const peers: Deno.TcpConn[] = [];
  let exited = false;
  void server.process.status.then(() => (exited = true));
  try {
    const { port } = webOf(server);
    for (let i = 0; i < 100; i++) {
      const peer = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => null);
      if (peer === null) break;
      peers.push(peer);
    }
    await waitFor(
      () => /web port failed/.test(server.stderrText()),
      10_000,
      "the web port to fail",
    );
    for (const peer of peers) peer.close();
    const client = await httpsClient(server);
    try {
      await waitFor(
        async () => {
          const page = await fetch(server.webUrl!, { client }).catch(() => null);
          await page?.body?.cancel();
          return page?.status === 200;
        },
        10_000,
        "the page to be served again",
      );
    } finally {
      client.close();
    }
    assert.equal(exited, false, "the server is still running");
  } finally {
    for (const peer of peers) {
      try {
        peer.close();
      } catch {
        // Closed above.
      }
    }
    assert.equal(await server.stop(), 0);
    await Deno.remove(server.dataDir, { recursive: true });
  }
});
