/**
 * Login latency against a real `burrow serve` over TLS on 127.0.0.1: one login at a time, then
 * 50 at once. Prints a Markdown table (p50/p95/max in ms) and writes
 * scripts/bench/results/login_latency.json.
 *
 * Each login is the whole client path: TLS connect, hello, login_start, Argon2id + HKDF on the
 * client, login_proof, login_ok. The concurrent clients run in this one process, so their
 * client-side Argon2id runs one after another on its main thread, as 50 logins on one 2-core
 * machine would share its CPU anyway.
 *
 * Usage: deno run -A scripts/bench/login_latency.ts [--concurrent N] [--sequential N]
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { parseArgs } from "node:util";
import { BurrowClient } from "../../src/client/burrow_client.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    concurrent: { type: "string", default: "50" },
    sequential: { type: "string", default: "10" },
  },
});
const CONCURRENT = Number(values.concurrent);
const SEQUENTIAL = Number(values.sequential);
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const PASSWORD = "bench-password-1";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function startServer(dataDir: string): Promise<{ port: number; child: Deno.ChildProcess }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "serve", "--listen", "127.0.0.1:0", "--data", dataDir],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let text = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let match: RegExpExecArray | null = null;
  while ((match = /listening on [^\s]+:(\d+)/.exec(text)) === null) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server did not start: ${text}`);
    text += value;
  }
  (async () => {
    while (!(await reader.read()).done);
  })();
  return { port: Number(match[1]), child };
}

async function timedLogin(port: number, caCerts: string[]): Promise<number> {
  const start = performance.now();
  const client = await BurrowClient.connect({ hostname: "127.0.0.1", port, caCerts });
  await client.login("bench", PASSWORD);
  const elapsed = performance.now() - start;
  await client.close();
  return elapsed;
}

function row(name: string, samples: number[], wallMs: number): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(0);
  return `| ${name} | ${samples.length} | ${f(percentile(sorted, 50))} | ${
    f(percentile(sorted, 95))
  } | ${f(sorted.at(-1) ?? NaN)} | ${f(wallMs)} |`;
}

const dataDir = await Deno.makeTempDir({ prefix: "burrow-bench-login-" });
const server = await startServer(dataDir);
try {
  const add = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "useradd", "bench", "--data", dataDir, "--password-stdin"],
    stdin: "piped",
    stdout: "null",
  }).spawn();
  const writer = add.stdin.getWriter();
  await writer.write(new TextEncoder().encode(`${PASSWORD}\n`));
  await writer.close();
  if (!(await add.status).success) throw new Error("useradd failed");
  const caCerts = [await Deno.readTextFile(`${dataDir}/tls/ca.pem`)];
  await timedLogin(server.port, caCerts); // warm-up

  const sequential: number[] = [];
  let t0 = performance.now();
  for (let i = 0; i < SEQUENTIAL; i++) sequential.push(await timedLogin(server.port, caCerts));
  const sequentialWall = performance.now() - t0;

  t0 = performance.now();
  const concurrent = await Promise.all(
    Array.from({ length: CONCURRENT }, () => timedLogin(server.port, caCerts)),
  );
  const concurrentWall = performance.now() - t0;

  const table = [
    "| logins | n | p50 ms | p95 ms | max ms | wall ms |",
    "|---|---:|---:|---:|---:|---:|",
    row("one at a time", sequential, sequentialWall),
    row(`${CONCURRENT} at once`, concurrent, concurrentWall),
  ].join("\n");
  console.log(table);
  const results = new URL("./results/", import.meta.url);
  await Deno.mkdir(results, { recursive: true });
  await Deno.writeTextFile(
    new URL("login_latency.json", results),
    JSON.stringify(
      { date: new Date().toISOString(), sequential, concurrent, concurrentWall },
      null,
      2,
    ),
  );
} finally {
  server.child.kill("SIGTERM");
  await server.child.status;
  await Deno.remove(dataDir, { recursive: true });
}
