/** End to end: `burrow serve` start-up, certificates, configuration errors and shutdown. */
import assert from "node:assert/strict";
import { burrow, startServer } from "./_harness.ts";

Deno.test("serve makes a CA on first start, prints it, and reuses it after a restart", async () => {
  const first = await startServer();
  assert.match(first.banner, /created CA certificate .*\/tls\/ca\.pem/);
  const fingerprint = /fingerprint ([0-9A-F:]{95})/.exec(first.banner)?.[1];
  assert.ok(fingerprint, first.banner);
  assert.equal((await Deno.stat(`${first.dataDir}/tls/server.key`)).mode! & 0o777, 0o600);
  assert.equal(await first.stop(), 0, "SIGTERM exits 0");
  assert.match(first.stderrText(), /server stopped/);

  const second = await startServer({ dataDir: first.dataDir });
  assert.match(second.banner, /using CA certificate/);
  assert.ok(second.banner.includes(fingerprint), "same CA after restart");
  assert.equal(await second.stop(), 0);
  await Deno.remove(first.dataDir, { recursive: true });
});

Deno.test("serve uses certificates made by burrow certs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "burrow-e2e-" });
  const made = await burrow([
    "certs",
    "--out",
    `${dir}/certs`,
    "--host",
    "127.0.0.1",
    "--host",
    "localhost",
  ]);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /CA SHA-256 fingerprint/);
  assert.equal((await Deno.stat(`${dir}/certs/ca.key`)).mode! & 0o777, 0o600);
  const again = await burrow(["certs", "--out", `${dir}/certs`]);
  assert.equal(again.code, 1, "never overwrites existing certificates");

  const server = await startServer({
    dataDir: `${dir}/data`,
    extraArgs: ["--cert", `${dir}/certs/server.pem`, "--key", `${dir}/certs/server.key`],
  });
  try {
    assert.doesNotMatch(server.banner, /CA certificate/);
    const added = await burrow(["useradd", "alice", "--data", server.dataDir, "--password-stdin"], {
      stdin: "correct horse\n",
    });
    assert.equal(added.code, 0, added.stderr);
    const listed = await burrow(
      [
        "snapshots",
        "--server",
        server.address,
        "--ca",
        `${dir}/certs/ca.pem`,
        "--user",
        "alice",
        "--json",
      ],
      { env: { BURROW_PASSWORD: "correct horse" } },
    );
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), []);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve refuses to start on a CSV user store with a broken row, naming file and line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "burrow-e2e-" });
  const csv = `${dir}/users.csv`;
  const added = await burrow(
    ["useradd", "alice", "--data", dir, "--users", `csv:${csv}`, "--init", "--password-stdin"],
    { stdin: "pw-alice\n" },
  );
  assert.equal(added.code, 0, added.stderr);
  await Deno.writeTextFile(csv, "bob,broken\n", { append: true });
  const result = await burrow([
    "serve",
    "--listen",
    "127.0.0.1:0",
    "--data",
    dir,
    "--users",
    `csv:${csv}`,
  ]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /users\.csv.*line 3/);
  assert.equal(result.stderr.trim().split("\n").length, 1, "one line");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("serve rejects bad flags with exit 2", async () => {
  for (
    const args of [
      ["serve", "--listen", "nonsense"],
      ["serve", "--cert", "a.pem"],
      ["serve", "--bogus"],
      ["serve", "--max-connections", "-1"],
      ["serve", "--max-unauthenticated", "0"],
      ["serve", "--max-unauthenticated-per-address", "1.5"],
      ["serve", "--prune-wait", "0"],
      ["serve", "--prune-wait", "3601"],
    ]
  ) {
    const result = await burrow(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  }
});

Deno.test("serve says which address is taken, or that --data is a file, in one line", async () => {
  const running = await startServer();
  const other = await Deno.makeTempDir({ prefix: "burrow-e2e-" });
  try {
    const taken = await burrow(["serve", "--listen", running.address, "--data", other]);
    assert.equal(taken.code, 1);
    assert.equal(
      taken.stderr.split("\n").filter((line) => line.startsWith("burrow:")).join("\n"),
      `burrow: Cannot listen on ${running.address}: the address is in use (is another burrow serve running?); choose another with --listen`,
    );
    const file = `${other}/not-a-folder`;
    await Deno.writeTextFile(file, "x");
    const notFolder = await burrow(["serve", "--listen", "127.0.0.1:0", "--data", file]);
    assert.equal(notFolder.code, 1);
    assert.equal(
      notFolder.stderr,
      `burrow: Cannot use data folder "${file}": it is a file; give a folder with --data\n`,
    );
  } finally {
    await running.stop();
    await Deno.remove(other, { recursive: true });
    await Deno.remove(running.dataDir, { recursive: true });
  }
});
