import assert from "node:assert/strict";
import { AuthError, NetworkError } from "../errors.ts";
import { connectFirst, lostServer } from "./failover.ts";
import { serverText } from "./server_address.ts";

/** A port on 127.0.0.1 that nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("connectFirst() names every server it tried when none answers", async () => {
  const servers = [closedPort(), closedPort()].map((port) => ({ hostname: "127.0.0.1", port }));
  await assert.rejects(
    connectFirst(servers, 0, { caCerts: null, timeoutMs: 2000 }),
    (error: unknown) =>
      error instanceof NetworkError &&
      error.message.startsWith("Cannot connect to any of 2 servers: ") &&
      servers.every((s) => error.message.includes(serverText(s))),
  );
  await assert.rejects(
    connectFirst(servers, 1, { caCerts: null, timeoutMs: 2000 }),
    (error: unknown) =>
      error instanceof NetworkError && !error.message.includes("any of") &&
      error.message.includes(serverText(servers[1]!)),
  );
  await assert.rejects(connectFirst(servers, 2, { caCerts: null }), RangeError);
});

Deno.test("lostServer() starts again only when the connection is gone, not on a refusal", () => {
  assert.equal(lostServer(new NetworkError("gone")), true);
  assert.equal(lostServer(new NetworkError("slow", "TIMEOUT")), true);
  assert.equal(lostServer(new NetworkError("shutting down", "BUSY")), true);
  assert.equal(lostServer(new NetworkError("untrusted", "TLS")), false);
  assert.equal(lostServer(new AuthError("wrong password")), false);
  assert.equal(lostServer(new Error("other")), false);
});

Deno.test("serverText() brackets IPv6 hosts", () => {
  assert.equal(serverText({ hostname: "::1", port: 7443 }), "[::1]:7443");
  assert.equal(serverText({ hostname: "a.example", port: 1 }), "a.example:1");
});
