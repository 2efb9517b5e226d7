/**
 * End to end: `GET /metrics` of a real `burrow serve` over HTTPS after real pushes, a pull, a
 * failed login and a prune: the counters moved, every line follows the text format's grammar, a
 * missing or wrong token gets 401, and the metrics port of its own (`--metrics HOST:PORT`) works
 * with `--web off`.
 */
import assert from "node:assert/strict";
import {
  addUser,
  burrow,
  clientOf,
  type RunResult,
  type TestServer,
  withServer,
} from "./_harness.ts";

const TOKEN = "e2e-metrics-token-0123456789";
const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const VALUE = "(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|NaN|[+-]Inf)";
/** A sample line of the Prometheus text format 0.0.4 (timestamps are not written by burrow). */
const SAMPLE = new RegExp(`^(${NAME}(?:\\{(?:${LABEL}(?:,${LABEL})*,?)?\\})?) (${VALUE})$`);
const HELP = new RegExp(`^# HELP ${NAME} .*$`);
const TYPE = new RegExp(`^# TYPE ${NAME} (?:counter|gauge|histogram|summary|untyped)$`);

/** Parses an exposition, failing on any line outside the grammar: series → value. */
function parseExposition(text: string): Map<string, number> {
  assert.ok(text.endsWith("\n"), "the exposition ends with a line feed");
  const samples = new Map<string, number>();
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("#")) {
      assert.ok(HELP.test(line) || TYPE.test(line), `comment line: ${line}`);
      continue;
    }
    const match = SAMPLE.exec(line);
    assert.ok(match !== null, `sample line: ${line}`);
    samples.set(match[1] ?? "", Number(match[2]));
  }
  return samples;
}

function ok(result: RunResult): RunResult {
  assert.equal(result.code, 0, result.stderr);
  return result;
}

async function httpClient(server: TestServer): Promise<Deno.HttpClient> {
  return Deno.createHttpClient({ caCerts: [await Deno.readTextFile(server.caPath)] });
}

async function get(client: Deno.HttpClient, url: string, token?: string) {
  const headers: HeadersInit = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  const response = await fetch(url, { client, headers });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** Writes random (incompressible) data, so the bytes on the wire are at least its size. */
async function writeTree(root: string, seed: number): Promise<number> {
  await Deno.mkdir(root, { recursive: true });
  const data = new Uint8Array(300_000);
  for (let at = 0; at < data.length; at += 65_536) {
    crypto.getRandomValues(data.subarray(at, at + 65_536));
  }
  await Deno.writeFile(`${root}/data.bin`, data);
  await Deno.writeTextFile(`${root}/note.txt`, `version ${seed}\n`);
  return data.length;
}

Deno.test("GET /metrics on the web port shows pushes, pulls, logins, bytes, stored bytes and prunes; 401 without the token", async () => {
  const dir = await Deno.makeTempDir({ prefix: "burrow-e2e-token-" });
  const tokenFile = `${dir}/token`;
  await Deno.writeTextFile(tokenFile, `${TOKEN}\n`);
  try {
    await withServer(async (server, work) => {
      const url = /^metrics on (https:\/\/\S+)$/m.exec(server.stdoutText())?.[1];
      assert.equal(url, `${server.webUrl}metrics`);
      await addUser(server, "alice", "alice-pass");
      const run = clientOf(server, "alice", "alice-pass");
      const size = await writeTree(`${work}/docs`, 1);
      ok(await run(["push", `${work}/docs`]));
      await writeTree(`${work}/docs`, 2);
      ok(await run(["push", `${work}/docs`]));
      ok(await run(["pull", `${work}/restored`]));
      // A push past bob's quota fails: a failed push.
      const bob = await burrow(
        ["useradd", "bob", "--data", server.dataDir, "--password-stdin", "--quota", "100KB"],
        { stdin: "bob-pass\n" },
      );
      assert.equal(bob.code, 0, bob.stderr);
      const overQuota = await clientOf(server, "bob", "bob-pass")(["push", `${work}/docs`]);
      assert.equal(overQuota.code, 1, overQuota.stderr);
      assert.match(overQuota.stderr, /quota exceeded/);
      const wrong = await burrow(["snapshots", ...server.clientArgs("alice")], {
        env: { BURROW_PASSWORD: "not-her-password" },
      });
      assert.equal(wrong.code, 3);
      const pruned = JSON.parse(
        ok(await run(["forget", "--keep-last", "1", "--prune", "--json"])).stdout,
      ).prune;
      assert.ok(pruned.bytesFreed > 0, JSON.stringify(pruned));
      // The log line of the prune says who, what was freed and how long it took.
      const logged = new RegExp(
        `prune finished user=alice .*bytesFreed=${pruned.bytesFreed} seconds=[\\d.]+`,
      );
      assert.match(server.stderrText(), logged);

      const client = await httpClient(server);
      try {
        for (const token of [undefined, "wrong-token-0123456789", TOKEN.slice(0, -1)]) {
          const refused = await get(client, url!, token);
          assert.equal(refused.status, 401, String(token));
          assert.doesNotMatch(refused.text, /burrow_/);
        }
        const response = await get(client, url!, TOKEN);
        assert.equal(response.status, 200);
        assert.match(response.headers.get("Content-Type") ?? "", /^text\/plain; version=0\.0\.4/);
        const m = parseExposition(response.text);
        const value = (series: string) => {
          assert.ok(m.has(series), `${series} in\n${response.text}`);
          return m.get(series)!;
        };
        assert.equal(value('burrow_pushes_total{result="finished"}'), 2);
        assert.equal(value('burrow_pushes_total{result="failed"}'), 1);
        assert.ok(value('burrow_pulls_total{result="finished"}') >= 1);
        assert.equal(value('burrow_pulls_total{result="failed"}'), 0);
        assert.ok(value('burrow_logins_total{result="ok"}') >= 5);
        assert.equal(value('burrow_logins_total{result="failed"}'), 1);
        assert.equal(value('burrow_logins_total{result="rate_limited"}'), 0);
        assert.ok(value("burrow_received_bytes_total") >= size, "a push's bytes came in");
        assert.ok(value("burrow_sent_bytes_total") >= size, "a pull's bytes went out");
        assert.ok(value('burrow_stored_bytes{user="alice"}') > 0);
        assert.equal(value('burrow_prune_runs_total{result="finished"}'), 1);
        assert.equal(value("burrow_prune_freed_bytes_total"), pruned.bytesFreed);
        assert.ok(value("burrow_sessions_open") >= 0);
        assert.ok(value("process_resident_memory_bytes") > 10 * 1024 * 1024);
      } finally {
        client.close();
      }
    }, { extraArgs: ["--metrics-token-file", tokenFile] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --web off --metrics HOST:PORT serves the metrics alone over HTTPS; elsewhere 404", async () => {
  await withServer(async (server) => {
    assert.equal(server.webUrl, null);
    const url = /^metrics on (https:\/\/\S+)$/m.exec(server.stdoutText())?.[1];
    assert.ok(url !== undefined, server.stdoutText());
    const client = await httpClient(server);
    try {
      const response = await get(client, url);
      assert.equal(response.status, 200);
      const m = parseExposition(response.text);
      assert.equal(m.get('burrow_pushes_total{result="finished"}'), 0);
      assert.equal((await get(client, url.replace(/metrics$/, ""))).status, 404);
    } finally {
      client.close();
    }
  }, { extraArgs: ["--web", "off", "--metrics", "127.0.0.1:0"] });
});

Deno.test("serve refuses metrics without a token off loopback, and a bad token, before it binds anything", async () => {
  const open = await burrow(["serve", "--metrics", "0.0.0.0:0", "--data", "/nonexistent/x"]);
  assert.equal(open.code, 2);
  assert.match(
    open.stderr,
    /Cannot serve the metrics without a token: 0\.0\.0\.0 is not a loopback/,
  );
  const short = await burrow(["serve", "--metrics-token", "short", "--data", "/nonexistent/x"]);
  assert.equal(short.code, 2);
  assert.match(short.stderr, /Invalid metrics token/);
  const noWeb = await burrow([
    "serve",
    "--web",
    "off",
    "--metrics",
    "web",
    "--data",
    "/nonexistent/x",
  ]);
  assert.equal(noWeb.code, 2);
  assert.match(noWeb.stderr, /--web is off/);
});
