/**
 * End to end: denial of service at the listener. Descriptor exhaustion, silent TLS peers and
 * floods of idle connections cost the server little and keep real users out of nothing; a refused
 * or shut-down connection tells its client why.
 */
import assert from "node:assert/strict";
import {
  CLIENT_READ_LIMITS,
  decodeMessage,
  encodeMessage,
  FrameStream,
  MessageType,
  PROTOCOL_VERSION,
} from "../../src/protocol/mod.ts";
import { addUser, burrow, startServer, type TestServer } from "./_harness.ts";
import {
  countLines,
  cpuSeconds,
  descriptorCount,
  descriptorLimits,
  idlePeer,
  sleep,
  waitFor,
} from "./_peers.ts";

/** Lifts the pre-login caps so that only the descriptor limit or a timeout stops idle peers. */
const NO_PRE_LOGIN_CAPS = [
  "--max-connections",
  "1000",
  "--max-unauthenticated",
  "1000",
  "--max-unauthenticated-per-address",
  "1000",
];

function snapshots(server: TestServer): Promise<{ code: number; stderr: string }> {
  return burrow(["snapshots", ...server.clientArgs("alice")], {
    env: { BURROW_PASSWORD: "alice-pass" },
  });
}

async function stopAndClean(server: TestServer): Promise<void> {
  await server.stop();
  await Deno.remove(server.dataDir, { recursive: true });
}

Deno.test("descriptor exhaustion: the accept loop backs off, logs little, and serves again after", async () => {
  const server = await startServer({
    prefix: ["prlimit", "--nofile=64:64", "--"],
    extraArgs: [...NO_PRE_LOGIN_CAPS, "--handshake-timeout", "60"],
  });
  const pid = server.process.pid;
  await addUser(server, "alice", "alice-pass");
  const peers = [];
  try {
    assert.equal(
      descriptorLimits(pid).soft,
      64,
      "precondition: the server runs with 64 descriptors",
    );
    for (let i = 0; i < 100; i++) peers.push(await idlePeer(server.port));
    await waitFor(() => /accept failed/.test(server.stderrText()), 10_000, "an accept failure");
    const cpuBefore = cpuSeconds(pid);
    const linesBefore = countLines(server.stderrText(), "accept failed");
    await sleep(3000);
    const cpu = cpuSeconds(pid) - cpuBefore;
    const lines = countLines(server.stderrText(), "accept failed") - linesBefore;
    assert.ok(cpu < 0.6, `server used ${cpu.toFixed(2)} CPU s in 3 s while out of descriptors`);
    assert.ok(lines <= 1, `${lines} "accept failed" lines in 3 s`);

    for (const peer of peers) peer.close();
    await waitFor(() => descriptorCount(pid) < 48, 10_000, "the descriptors to come back");
    const result = await snapshots(server);
    assert.equal(result.code, 0, result.stderr);
  } finally {
    for (const peer of peers) peer.close();
    await stopAndClean(server);
  }
});

Deno.test("descriptor limit: serve raises its soft limit to the hard one", async () => {
  const server = await startServer({ prefix: ["prlimit", "--nofile=256:4096", "--"] });
  try {
    assert.deepEqual(descriptorLimits(server.process.pid), { soft: 4096, hard: 4096 });
    assert.match(server.stderrText(), /descriptor limit .*soft=4096/);
  } finally {
    await stopAndClean(server);
  }
});

Deno.test("silent TLS peers are closed at the handshake deadline and their descriptors freed", async () => {
  const server = await startServer({ extraArgs: ["--handshake-timeout", "1"] });
  const pid = server.process.pid;
  const peers = [];
  try {
    const before = descriptorCount(pid);
    const started = Date.now();
    // Half send nothing, half stop inside their ClientHello.
    const partialHello = new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]);
    for (let i = 0; i < 50; i++) {
      peers.push(await idlePeer(server.port, i % 2 === 0 ? {} : { first: partialHello }));
    }
    const ends = await Promise.race([
      Promise.all(peers.map((peer) => peer.ended)),
      sleep(6000).then(() => null),
    ]);
    assert.ok(ends !== null, "every silent peer sees its connection end within 6 s");
    const latest = Math.max(...ends) - started;
    assert.ok(latest < 4000, `the last silent peer was closed after ${latest} ms`);
    await waitFor(
      () => descriptorCount(pid) <= before + 3,
      3000,
      `the server's descriptors to come back to ${before}`,
    );
  } finally {
    for (const peer of peers) peer.close();
    await stopAndClean(server);
  }
});

Deno.test("idle connections from another address do not keep real logins out", async () => {
  // The reported attack: 20 idle connections every 2 s against --max-connections 20, while 10
  // real users log in. The attacker's address is 127.0.0.2 (still the loopback interface).
  const server = await startServer({ extraArgs: ["--max-connections", "20"] });
  await addUser(server, "alice", "alice-pass");
  const attackers: { close(): void }[] = [];
  let attacking = true;
  const attack = (async () => {
    while (attacking) {
      const burst = Array.from(
        { length: 20 },
        () =>
          idlePeer(server.port, { localAddress: "127.0.0.2" }).then((peer) => attackers.push(peer)),
      );
      await Promise.allSettled(burst);
      await sleep(2000);
    }
  })();
  try {
    await sleep(500);
    // Two users at a time, five logins each, one after the other.
    const lanes = await Promise.all([0, 1].map(async () => {
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await snapshots(server));
      return results;
    }));
    const failed = lanes.flat().filter((result) => result.code !== 0);
    assert.equal(failed.length, 0, `${failed.length} of 10 logins failed: ${failed[0]?.stderr}`);
  } finally {
    attacking = false;
    await attack;
    for (const peer of attackers) peer.close();
    await stopAndClean(server);
  }
});

Deno.test("a full pre-login pool closes its oldest idle connection, which is told BUSY", async () => {
  const server = await startServer({
    extraArgs: [
      "--max-connections",
      "4",
      "--max-unauthenticated",
      "4",
      "--max-unauthenticated-per-address",
      "4",
    ],
  });
  await addUser(server, "alice", "alice-pass");
  const caCerts = [await Deno.readTextFile(server.caPath)];
  const held: FrameStream[] = [];
  try {
    // Four connections that said hello and then nothing: the pre-login pool is full.
    for (let i = 0; i < 4; i++) {
      const conn = await Deno.connectTls({ hostname: "127.0.0.1", port: server.port, caCerts });
      const stream = new FrameStream(conn, { limits: CLIENT_READ_LIMITS });
      held.push(stream);
      const hello = encodeMessage("hello", { protocol: [PROTOCOL_VERSION], client: "idle" });
      await stream.writeFrame(MessageType.hello, 1, hello);
      assert.equal((await stream.readFrame())?.type, MessageType.hello_ok);
    }
    const result = await snapshots(server);
    assert.equal(result.code, 0, result.stderr);
    // The oldest was closed to make room, after an error frame that says why.
    const frame = await held[0]!.readFrame();
    assert.ok(frame !== null, "an error frame before the close");
    assert.equal(frame.requestId, 0);
    const message = decodeMessage(frame);
    assert.equal(message.type, "error");
    assert.equal(message.type === "error" && message.payload.code, "BUSY");
    assert.equal(await held[0]!.readFrame(), null, "then end of stream");
  } finally {
    for (const stream of held) stream.close();
    await stopAndClean(server);
  }
});

Deno.test("a command whose server shuts down says the server is shutting down", async () => {
  const server = await startServer();
  await addUser(server, "alice", "alice-pass");
  const work = await Deno.makeTempDir({ prefix: "burrow-e2e-work-" });
  try {
    // Enough random data that the push is still sending when the server stops.
    const file = await Deno.open(`${work}/big.bin`, { write: true, create: true });
    const block = new Uint8Array(65536);
    for (let i = 0; i < 2048; i++) await file.write(crypto.getRandomValues(block));
    file.close();
    const pushing = burrow(["push", work, ...server.clientArgs("alice")], {
      env: { BURROW_PASSWORD: "alice-pass" },
    });
    await waitFor(() => / login user=alice/.test(server.stderrText()), 30_000, "the login");
    assert.equal(await server.stop(), 0);
    const pushed = await pushing;
    assert.equal(pushed.code, 1, pushed.stderr);
    assert.match(pushed.stderr, /the server is shutting down/);
  } finally {
    await Deno.remove(work, { recursive: true });
    await Deno.remove(server.dataDir, { recursive: true });
  }
});

/**
 * Asks `server`'s web port for a WebSocket and leaves while the server is paused, so that it
 * answers a client that is gone; resolves with the reason the server logs for connection `conn`
 * once it has let go of it.
 */
async function upgradeAndLeave(server: TestServer, conn: number): Promise<string> {
  const web = new URL(server.webUrl!);
  const caCerts = [await Deno.readTextFile(server.caPath)];
  const tls = await Deno.connectTls({ hostname: web.hostname, port: Number(web.port), caCerts });
  await tls.handshake();
  Deno.kill(server.process.pid, "SIGSTOP");
  try {
    await tls.write(new TextEncoder().encode(
      `GET /ws HTTP/1.1\r\nHost: ${web.host}\r\nOrigin: ${web.origin}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${btoa("burrow-test-key!")}\r\n` +
        "Sec-WebSocket-Version: 13\r\n\r\n",
    ));
    tls.close();
    await sleep(200);
  } finally {
    Deno.kill(server.process.pid, "SIGCONT");
  }
  const closed = new RegExp(`connection closed via=websocket conn=${conn} .*reason="([^"]*)"`);
  await waitFor(
    () => closed.test(server.stderrText()),
    5000,
    `the server to let go of connection ${conn} at its handshake deadline`,
  );
  return closed.exec(server.stderrText())![1]!;
}

Deno.test("a client that leaves before its WebSocket upgrade is answered is let go, and the server still stops", async () => {
  const server = await startServer({ extraArgs: ["--handshake-timeout", "1"] });
  try {
    // Deno gives such a socket neither an open nor a close event. Now and then it still sees the
    // client leave first ("closed by client"): that connection did not test anything, try again.
    let reason = "";
    for (let conn = 1; conn <= 5 && reason !== "handshake timeout"; conn++) {
      reason = await upgradeAndLeave(server, conn);
      assert.ok(reason === "handshake timeout" || reason === "closed by client", reason);
    }
    assert.equal(reason, "handshake timeout");
  } finally {
    const stopping = Date.now();
    assert.equal(await server.stop(), 0);
    const tookMs = Date.now() - stopping;
    assert.ok(tookMs < 10_000, `the server took ${tookMs} ms to stop`);
    await Deno.remove(server.dataDir, { recursive: true });
  }
});
