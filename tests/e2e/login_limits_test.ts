/**
 * End to end: the login and signup limits against a real `burrow serve`. Parallel guesses reach
 * the verifier only as often as the rate limit allows, the real user is not locked out by them,
 * signup cannot mass-create accounts or probe names, and requests pipelined behind `login_proof`
 * are served.
 */
import assert from "node:assert/strict";
import { deriveClientKeys, parseClientKdf } from "../../src/auth/mod.ts";
import { newCredentials } from "../../src/auth/new_credentials.ts";
import { connectClient, connectToServer } from "../../src/client/connection.ts";
import { RpcChannel } from "../../src/client/rpc_channel.ts";
import { AuthError } from "../../src/errors.ts";
import {
  CLIENT_READ_LIMITS,
  decodeServerMessage,
  encodeFrame,
  encodeMessage,
  type MessageName,
  MessageType,
  type PayloadOf,
  PROTOCOL_VERSION,
} from "../../src/protocol/mod.ts";
import { FrameStream } from "../../src/protocol/frame_stream.ts";
import { addUser, burrow, startServer, type TestServer } from "./_harness.ts";

const HELLO = { protocol: [PROTOCOL_VERSION], client: "burrow-test/login_limits" };

async function target(server: TestServer) {
  return {
    hostname: "127.0.0.1",
    port: server.port,
    caCerts: [await Deno.readTextFile(server.caPath)],
  };
}

/** An open connection past `hello`, speaking through the client's own request channel. */
async function openRpc(server: TestServer) {
  const conn = await connectToServer(await target(server));
  const rpc = new RpcChannel(conn);
  await rpc.request("hello", HELLO, "hello_ok");
  return { rpc, close: () => rpc.close().catch(() => {}) };
}

/** The error code an attempt ended with, or "ok". */
function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "ok",
    (error) => error instanceof AuthError ? error.code : String(error),
  );
}

function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern, "g"))?.length ?? 0;
}

async function withTestServer(
  extraArgs: string[],
  body: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startServer({ extraArgs });
  try {
    await body(server);
  } finally {
    await server.stop();
    await Deno.remove(server.dataDir, { recursive: true });
  }
}

Deno.test("login limits: 60 parallel wrong proofs reach the verifier at most 5 times; the user still logs in", async () => {
  await withTestServer(["--handshake-timeout", "60"], async (server) => {
    await addUser(server, "alice", "alice-pass");
    // Every connection gets the same challenge for alice: derive the wrong key once, then
    // bring 60 connections to the point where only login_proof is left, and send all at once.
    const probe = await openRpc(server);
    const { kdf } = await probe.rpc.request("login_start", { user: "alice" }, "login_challenge");
    await probe.close();
    const wrong = (await deriveClientKeys("not-her-password", parseClientKdf(kdf))).authKey;
    const sessions = await Promise.all(Array.from({ length: 60 }, async () => {
      const session = await openRpc(server);
      await session.rpc.request("login_start", { user: "alice" }, "login_challenge");
      return session;
    }));
    const outcomes = await Promise.all(
      sessions.map((s) => outcome(s.rpc.request("login_proof", { authKey: wrong }, "login_ok"))),
    );
    await Promise.all(sessions.map((s) => s.close()));
    const failed = outcomes.filter((o) => o === "AUTH_FAILED").length;
    const limited = outcomes.filter((o) => o === "RATE_LIMITED").length;
    assert.equal(failed + limited, 60, outcomes.join(" "));
    assert.ok(failed <= 5, `${failed} guesses were verified`);
    const log = server.stderrText();
    assert.ok(count(log, /login failed/) <= 5, `${count(log, /login failed/)} verifications`);
    assert.equal(count(log, /login refused: rate limited/), limited);

    // The burst delays alice by the short per-user back-off, not a lock-out.
    const client = await connectClient(await target(server));
    let error = await client.login("alice", "alice-pass").then(() => null, (e) => e);
    await client.close();
    if (error !== null) {
      assert.ok(error instanceof AuthError && error.code === "RATE_LIMITED", String(error));
      assert.ok((error.retryAfterMs ?? Infinity) <= 2000, `retry after ${error.retryAfterMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs));
      const again = await connectClient(await target(server));
      error = await again.login("alice", "alice-pass").then(() => null, (e) => e);
      await again.close();
    }
    assert.equal(error, null, String(error));
  });
});

Deno.test("signup limits: at most 3 signups per connection", async () => {
  await withTestServer(["--allow-signup"], async (server) => {
    const client = await connectClient(await target(server));
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) outcomes.push(await outcome(client.signup(`user${i}`, "pw-pw-pw")));
    await client.close();
    assert.deepEqual(outcomes.slice(0, 4), ["ok", "ok", "ok", "RATE_LIMITED"]);
    assert.notEqual(outcomes[4], "ok");
  });
});

Deno.test("signup limits: --signup-limit N/hour refuses the N+1st account from one address", async () => {
  await withTestServer(["--allow-signup", "--signup-limit", "2/hour"], async (server) => {
    const signup = (user: string) =>
      burrow(["signup", ...server.clientArgs(user), "--password-stdin"], { stdin: "pw-pw-pw\n" });
    for (const user of ["carol", "dave"]) {
      const ok = await signup(user);
      assert.equal(ok.code, 0, ok.stderr);
    }
    const refused = await signup("erin");
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /too many signups from this address, try again in \d+ s/);
    assert.match(server.stderrText(), /signup refused: rate limited/);
  });
  const data = await Deno.makeTempDir({ prefix: "burrow-e2e-" });
  const misuse = await burrow(["serve", "--data", `${data}/new`, "--signup-limit", "5/day"]);
  const created = await Deno.stat(`${data}/new`).then(() => true, () => false);
  await Deno.remove(data, { recursive: true });
  assert.equal(created, false, "a usage error created the data folder");
  assert.equal(misuse.code, 2, misuse.stderr);
  assert.equal(
    misuse.stderr,
    'burrow: Invalid --signup-limit "5/day": expected N/hour with N from 1 to 1000000, e.g. 5/hour\n',
  );
});

Deno.test("signup limits: probing for taken names is rate-limited", async () => {
  await withTestServer(["--allow-signup"], async (server) => {
    await addUser(server, "alice", "alice-pass");
    const credentials = await newCredentials("pw");
    const payload = { user: "alice", kdf: credentials.kdf, authKey: credentials.authKey };
    const outcomes: string[] = [];
    while (outcomes.length < 40 && !outcomes.includes("RATE_LIMITED")) {
      const session = await openRpc(server);
      for (let i = 0; i < 3 && !outcomes.includes("RATE_LIMITED"); i++) {
        const answer = session.rpc.request("signup", payload, "signup_ok");
        outcomes.push(await answer.then(() => "ok", (e) => e.code ?? String(e)));
      }
      await session.close();
    }
    const taken = outcomes.filter((o) => o === "USER_EXISTS").length;
    assert.ok(outcomes.includes("RATE_LIMITED"), `${taken} taken-name answers, never limited`);
    assert.ok(taken <= 20, `${taken} taken-name answers before the limit`);
  });
});

/** Sends `frames` in one write, so they reach the server together. */
async function writeTogether(conn: Deno.Conn, frames: Uint8Array[]): Promise<void> {
  const joined = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const frame of frames) {
    joined.set(frame, at);
    at += frame.length;
  }
  assert.equal(await conn.write(joined), joined.length);
}

function frameOf<T extends MessageName>(type: T, id: number, payload: PayloadOf<T>): Uint8Array {
  return encodeFrame(MessageType[type], id, encodeMessage(type, payload));
}

Deno.test("pipelining: list_snapshots sent with login_proof in one write is served after login_ok", async () => {
  await withTestServer([], async (server) => {
    await addUser(server, "alice", "alice-pass");
    const conn = await connectToServer(await target(server));
    const stream = new FrameStream(conn, { limits: CLIENT_READ_LIMITS });
    try {
      await writeTogether(conn, [
        frameOf("hello", 1, HELLO),
        frameOf("login_start", 2, { user: "alice" }),
      ]);
      const replies = async (n: number) => {
        const out: string[] = [];
        for (let i = 0; i < n; i++) {
          const frame = await stream.readFrame();
          assert.ok(frame !== null, `connection closed after ${out.join(", ")}`);
          const message = decodeServerMessage(frame);
          out.push(`${frame.requestId} ${message.type}`);
          if (message.type === "login_challenge") {
            const keys = await deriveClientKeys("alice-pass", parseClientKdf(message.payload.kdf));
            await writeTogether(conn, [
              frameOf("login_proof", 3, { authKey: keys.authKey }),
              frameOf("list_snapshots", 4, {}),
            ]);
          }
          if (message.type === "error") out.push(message.payload.message);
        }
        return out;
      };
      assert.deepEqual(await replies(4), [
        "1 hello_ok",
        "2 login_challenge",
        "3 login_ok",
        "4 snapshots",
      ]);
    } finally {
      stream.close();
    }
  });
});
