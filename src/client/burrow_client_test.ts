import assert from "node:assert/strict";
import { encodeClientKdf, newClientKdf } from "../auth/mod.ts";
import { AuthError, BurrowError, ProtocolError, UsageError } from "../errors.ts";
import { scriptedServer, withScriptedClient } from "../../tests/_scripted_server.ts";
import { connectClient } from "./connection.ts";

const WEAK_KDF = { algorithm: "argon2id", memoryKiB: 1024, iterations: 1, parallelism: 1 } as const;

Deno.test("connectClient() completes the version handshake and keeps what the server said", async () => {
  await withScriptedClient(async (peer) => {
    assert.equal(await peer.next(), null, "the client sent nothing more");
  }, (client) => {
    assert.deepEqual(client.server, {
      protocol: 1,
      server: "scripted",
      signup: true,
      minPasswordLength: 8,
    });
    assert.equal(client.user, null);
    return Promise.resolve();
  }, { signup: true });
});

Deno.test("BurrowClient.login() refuses KDF parameters under burrow's minimum and sends no proof", async () => {
  // A hostile server asking for cheap parameters could brute-force the password from the proof.
  await withScriptedClient(async (peer) => {
    const kdf = encodeClientKdf(newClientKdf(WEAK_KDF));
    await peer.answer("login_start", "login_challenge", { kdf });
    assert.equal(await peer.next(), null, "no login_proof reached the server");
  }, async (client) => {
    await assert.rejects(
      client.login("alice", "secret"),
      (e) => e instanceof ProtocolError && /weaker than burrow's minimum/.test(e.message),
    );
    assert.equal(client.user, null);
  });
});

Deno.test("BurrowClient.login() refuses KDF parameters it cannot parse", async () => {
  await withScriptedClient(async (peer) => {
    await peer.answer("login_start", "login_challenge", { kdf: "$argon2id$v=19$m=oops" });
    assert.equal(await peer.next(), null);
  }, async (client) => {
    await assert.rejects(
      client.login("alice", "secret"),
      (e) =>
        e instanceof ProtocolError &&
        e.message === "Cannot log in: the server sent unusable KDF parameters",
    );
  });
});

Deno.test("BurrowClient.login() sends only a 32-byte auth key and turns AUTH_FAILED into AuthError", async () => {
  await withScriptedClient(async (peer) => {
    await peer.answer("login_start", "login_challenge", { kdf: encodeClientKdf(newClientKdf()) });
    const proof = await peer.next();
    assert.ok(proof !== null && proof.message.type === "login_proof");
    assert.deepEqual(Object.keys(proof.message.payload), ["authKey"]);
    assert.equal(proof.message.payload.authKey.length, 32);
    await peer.reply(proof.id, "error", {
      code: "AUTH_FAILED",
      message: "Cannot log in: wrong user name or password",
    });
  }, async (client) => {
    await assert.rejects(
      client.login("alice", "secret"),
      (e) => e instanceof AuthError && e.code === "AUTH_FAILED",
    );
    assert.equal(client.user, null);
  });
});

Deno.test("BurrowClient.login() keeps the key-encryption key, which the proof does not reveal", async () => {
  let sent: Uint8Array | undefined;
  await withScriptedClient(async (peer) => {
    await peer.answer("login_start", "login_challenge", { kdf: encodeClientKdf(newClientKdf()) });
    const proof = await peer.answer("login_proof", "login_ok", { user: "alice" });
    if (proof.type === "login_proof") sent = proof.payload.authKey;
  }, async (client) => {
    const login = await client.login("alice", "secret");
    assert.equal(login.user, "alice");
    assert.equal(client.user, "alice");
    assert.equal(login.keyEncryptionKey.length, 32);
    assert.ok(sent !== undefined);
    assert.ok(!sent.every((byte, i) => byte === login.keyEncryptionKey[i]), "two different keys");
  });
});

Deno.test("BurrowClient turns an error reply into the domain error of its code", async () => {
  await withScriptedClient(async (peer) => {
    const request = await peer.next();
    assert.ok(request !== null && request.message.type === "put_key");
    await peer.reply(request.id, "error", {
      code: "CONFLICT",
      message: "Cannot store the repository key: the user has one already",
    });
  }, async (client) => {
    await assert.rejects(
      client.putWrappedKey(new Uint8Array(65)),
      (e) => e instanceof BurrowError && e.code === "CONFLICT" && /has one already/.test(e.message),
    );
  });
});

Deno.test("connectClient() fails when the server speaks another protocol version", async () => {
  const server = await scriptedServer(async (peer) => {
    const hello = await peer.next();
    assert.ok(hello !== null);
    await peer.reply(hello.id, "error", {
      code: "UNSUPPORTED_VERSION",
      message: "Cannot talk to this client: it speaks protocol 1, this server 2",
    });
  });
  await assert.rejects(
    connectClient({ hostname: server.hostname, port: server.port, caCerts: [server.caPem] }),
    (e) => e instanceof ProtocolError && e.code === "UNSUPPORTED_VERSION",
  );
  await server.done;
});

Deno.test("BurrowClient.signup() and changePassword() refuse a password under the server's minimum, sending nothing", async () => {
  await withScriptedClient(async (peer) => {
    assert.equal(await peer.next(), null, "nothing was sent");
  }, async (client) => {
    const tooShort = (e: unknown) =>
      e instanceof UsageError &&
      e.message ===
        "Cannot use this password: it has 11 characters; this server asks for at least 12";
    await assert.rejects(client.signup("alice", "ëleven-char"), tooShort);
    await assert.rejects(client.changePassword("ëleven-char", null), tooShort);
  }, { minPasswordLength: 12 });
});
