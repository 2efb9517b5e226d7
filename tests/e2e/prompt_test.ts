/**
 * End to end on a pseudo-terminal: a person who types slowly still logs in, because every prompt
 * comes before the client connects (no server deadline runs while they type).
 */
import assert from "node:assert/strict";
import { addUser, type TestServer, withServer } from "./_harness.ts";
import { burrowOnTerminal } from "./_terminal.ts";

// The servers give each login step 3 s (`--handshake-timeout`); a person types slower than that.
const HANDSHAKE_TIMEOUT = { extraArgs: ["--handshake-timeout", "3"] };
const SLOW_MS = 6_000;

Deno.test("prompt: a password typed after the server's handshake timeout still logs in", async () => {
  await withServer(async (server) => {
    await addUser(server, "alice", "alice-pass");
    const result = await burrowOnTerminal(
      ["snapshots", ...server.clientArgs("alice")],
      [{ afterMs: SLOW_MS, text: "alice-pass" }],
    );
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Password: /);
    assert.match(result.stdout, /no snapshots/);
  }, HANDSHAKE_TIMEOUT);
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
  }, HANDSHAKE_TIMEOUT);
});

Deno.test("prompt: a password and its repeat pasted in one go are both read", async () => {
  await withServer(async (server) => {
    await addUser(server, "carol", "carol-pass-1");
    const result = await burrowOnTerminal(["passwd", ...server.clientArgs("carol")], [
      { afterMs: 500, text: "carol-pass-1\rcarol-pass-2\rcarol-pass-2" },
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /password of "carol" changed/);
  });
});

/** The lines a push drew on a terminal `columns` wide, escape sequences removed. */
async function pushOnTerminal(
  server: TestServer,
  work: string,
  name: string,
  columns: number,
): Promise<string[]> {
  await Deno.mkdir(`${work}/${name}/photos`, { recursive: true });
  const chunk = new Uint8Array(1024 * 1024);
  for (let i = 0; i < 48; i++) {
    crypto.getRandomValues(chunk.subarray(0, 65536));
    await Deno.writeFile(`${work}/${name}/photos/picture-${i}.jpg`, chunk);
  }
  const result = await burrowOnTerminal(
    ["push", `${work}/${name}`, ...server.clientArgs("alice")],
    [],
    { BURROW_PASSWORD: "alice-pass" },
    columns,
  );
  assert.equal(result.code, 0, result.stdout);
  // deno-lint-ignore no-control-regex
  return result.stdout.split(/[\r\n]/).map((line) => line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, ""));
}

Deno.test("progress: the line fits the terminal, with elapsed time, and a file where room allows", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const narrow = await pushOnTerminal(server, work, "narrow", 50);
    const progress = narrow.filter((line) => /files/.test(line) && /elapsed/.test(line));
    assert.ok(progress.length > 0, `no progress line in:\n${narrow.join("\n")}`);
    for (const line of progress) assert.ok(line.trimEnd().length < 50, `too wide: "${line}"`);
    const wide = await pushOnTerminal(server, work, "wide", 150);
    assert.ok(
      wide.some((line) => /elapsed .*photos\/picture-\d+\.jpg/.test(line)),
      wide.join("\n"),
    );
  });
});
