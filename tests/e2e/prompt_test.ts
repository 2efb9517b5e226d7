/**
 * End to end on a pseudo-terminal: a person who types slowly still logs in, because every prompt
 * comes before the client connects (no server deadline runs while they type).
 */
import assert from "node:assert/strict";
import { addUser, withServer } from "./_harness.ts";
import { burrowOnTerminal } from "./_terminal.ts";

// Longer than the server's default 10 s handshake timeout.
const SLOW_MS = 15_000;

Deno.test("prompt: a password typed 15 s late still logs in", async () => {
  await withServer(async (server) => {
    await addUser(server, "alice", "alice-pass");
    const result = await burrowOnTerminal(
      ["snapshots", ...server.clientArgs("alice")],
      [{ afterMs: SLOW_MS, text: "alice-pass" }],
    );
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Password: /);
    assert.match(result.stdout, /no snapshots/);
  });
});

Deno.test("prompt: passwd asks for the current and the new password before it connects", async () => {
  await withServer(async (server) => {
    await addUser(server, "bob", "bob-pass-1");
    const result = await burrowOnTerminal(["passwd", ...server.clientArgs("bob")], [
      { afterMs: SLOW_MS, text: "bob-pass-1" },
      { afterMs: 500, text: "bob-pass-2" },
      { afterMs: 500, text: "bob-pass-2" },
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /password of "bob" changed/);
  });
});
