/**
 * Login latency against a real `burrow serve` over TLS on 127.0.0.1.
 *
 * (a) One login at a time through the client library (`connectClient` + `login`): TLS
 * connect, hello, login_start, Argon2id + HKDF on the client, login_proof, login_ok.
 *
 * (b) 50 logins at once, as 50 client machines would make them: each derives its keys on its
 * own CPU, so here every simulated client derives its auth key BEFORE the clock starts (in one
 * process the 50 Argon2id runs would queue on one thread and time this machine, not the
 * server). Then all 50 do TLS connect, hello, login_start and login_proof at once. The client
 * library cannot log in with a precomputed key, so (b) sends the same messages through the
 * modules `BurrowClient` is built on (`connectToServer`, `RpcChannel`). The client key
 * derivation is reported on its own row.
 *
 * (c) login_start → login_challenge for a known and an unknown name, alternating, one new
 * connection each: the quartiles of both should match, or names could be probed by timing.
 *
 * Usage: deno run -A scripts/bench/login_latency.ts [--out DIR] [--quick]
 *
 * @module
 */
import { DEFAULT_CLIENT_KDF_PARAMS, deriveClientKeys, parseClientKdf } from "../../src/auth/mod.ts";
import { connectClient, connectToServer } from "../../src/client/connection.ts";
import { RpcChannel } from "../../src/client/rpc_channel.ts";
import { PROTOCOL_VERSION } from "../../src/protocol/mod.ts";
import {
  type BenchRow,
  fail,
  median,
  messageOf,
  newResult,
  parseBenchArgs,
  percentile,
  round,
  runBench,
} from "./_bench_result.ts";
import { withScratch } from "./_bench_process.ts";
import { addUsers, BENCH_PASSWORD, type BurrowServer, withServer } from "./_bench_server.ts";

const CONCURRENT = 50;
const TARGET_P50_MS = 200;
const CHALLENGES = 200;

const options = parseBenchArgs();
const result = newResult("login_latency");

interface Target {
  hostname: string;
  port: number;
  caCerts: string[];
}

/** An open, logged-in connection and how long its login and two of its steps took. */
interface Login {
  ms: number;
  /** TCP connect + TLS handshake. */
  tlsMs: number;
  /** login_proof sent → login_ok received (the server's Argon2id check and store update). */
  proofMs: number;
  close(): Promise<void>;
}

/** (a): the library's whole login, key derivation included. */
async function libraryLogin(target: Target, user: string): Promise<number> {
  const start = performance.now();
  const client = await connectClient(target);
  try {
    await client.login(user, BENCH_PASSWORD);
    return performance.now() - start;
  } finally {
    await client.close();
  }
}

/**
 * BurrowClient's connect + login message for message, with the auth key from `authKeyFor`
 * (given the KDF string the server sent), timed from before TLS connect until login_ok.
 */
async function rawLogin(
  target: Target,
  user: string,
  authKeyFor: (kdf: string) => Promise<Uint8Array>,
): Promise<Login> {
  const start = performance.now();
  const conn = await connectToServer(target);
  const tlsMs = performance.now() - start;
  const rpc = new RpcChannel(conn);
  const close = async () => {
    await conn.closeWrite().catch(() => {});
    await rpc.close();
  };
  try {
    const hello = { protocol: [PROTOCOL_VERSION], client: "burrow-bench/login_latency" };
    await rpc.request("hello", hello, "hello_ok");
    const { kdf } = await rpc.request("login_start", { user }, "login_challenge");
    const authKey = await authKeyFor(kdf);
    const proofStart = performance.now();
    await rpc.request("login_proof", { authKey }, "login_ok");
    const end = performance.now();
    return { ms: end - start, tlsMs, proofMs: end - proofStart, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A simulated client machine: its user, the KDF the server gave it and the key it derived. */
interface Prepared {
  user: string;
  kdf: string;
  authKey: Uint8Array;
  deriveMs: number;
}

/** Derives each client's key the way BurrowClient does, and checks it with one real login. */
async function prepare(target: Target, user: string): Promise<Prepared> {
  const prepared: Prepared = { user, kdf: "", authKey: new Uint8Array(), deriveMs: NaN };
  const login = await rawLogin(target, user, async (kdf) => {
    const start = performance.now();
    const keys = await deriveClientKeys(BENCH_PASSWORD, parseClientKdf(kdf));
    Object.assign(prepared, { kdf, authKey: keys.authKey, deriveMs: performance.now() - start });
    return keys.authKey;
  });
  await login.close();
  return prepared;
}

/** A row of milliseconds. */
function ms(label: string, value: number, target?: number): BenchRow {
  const row: BenchRow = { label, value: round(value), unit: "ms" };
  return target === undefined
    ? row
    : { ...row, target: `p50 ≤ ${target} ms`, met: value <= target };
}

/** (a): `count` library logins one after another, after one warm-up. */
async function sequentialLogins(target: Target, count: number): Promise<BenchRow[]> {
  await libraryLogin(target, "single"); // warm-up: JIT, TLS setup on both sides
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push(await libraryLogin(target, "single"));
  times.sort((a, b) => a - b);
  return [
    ms(`one at a time, whole login: p50 (n=${count})`, percentile(times, 50)),
    ms(`one at a time, whole login: p95 (n=${count})`, percentile(times, 95)),
  ];
}

/** (b): every prepared client logs in at once with its precomputed key. */
async function concurrentLogins(target: Target, prepared: Prepared[]): Promise<BenchRow[]> {
  const start = performance.now();
  const settled = await Promise.allSettled(
    prepared.map((p) =>
      rawLogin(
        target,
        p.user,
        (kdf) =>
          kdf === p.kdf
            ? Promise.resolve(p.authKey)
            : Promise.reject(new Error(`server sent ${p.user} another KDF than before`)),
      )
    ),
  );
  const wall = performance.now() - start;
  const logins = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  await Promise.all(logins.map((login) => login.close()));
  const failed = settled.flatMap((s) => (s.status === "rejected" ? [messageOf(s.reason)] : []));
  if (failed.length > 0) {
    fail(result, `${failed.length} of ${prepared.length} concurrent logins failed: ${failed[0]}`);
  }
  const times = logins.map((login) => login.ms).sort((a, b) => a - b);
  const label = `${prepared.length} at once, keys derived beforehand`;
  return [
    {
      label: `${label}: succeeded`,
      value: logins.length,
      unit: "logins",
      target: `${prepared.length}`,
      met: logins.length === prepared.length,
    },
    ms(`${label}: p50`, percentile(times, 50), TARGET_P50_MS),
    ms(`${label}: p95`, percentile(times, 95)),
    ms(`${label}: max`, times.at(-1) ?? NaN),
    ms(`${label}: wall`, wall),
    ms(`${label}: p50 of TCP connect + TLS handshake`, median(logins.map((l) => l.tlsMs))),
    ms(`${label}: p50 of login_proof → login_ok`, median(logins.map((l) => l.proofMs))),
  ];
}

/** The time of one login_start → login_challenge round trip on a fresh connection. */
async function challengeMs(target: Target, user: string): Promise<number> {
  const conn = await connectToServer(target);
  const rpc = new RpcChannel(conn);
  try {
    await rpc.request(
      "hello",
      { protocol: [PROTOCOL_VERSION], client: "burrow-bench" },
      "hello_ok",
    );
    const start = performance.now();
    await rpc.request("login_start", { user }, "login_challenge");
    return performance.now() - start;
  } finally {
    await conn.closeWrite().catch(() => {});
    await rpc.close();
  }
}

/** (c): quartiles of the challenge for a known and for unknown names, measured alternately. */
async function challengeLatency(target: Target, count: number): Promise<BenchRow[]> {
  const known: number[] = [];
  const unknown: number[] = [];
  await challengeMs(target, "single"); // warm-up
  for (let i = 0; i < count; i++) {
    known.push(await challengeMs(target, "single"));
    unknown.push(await challengeMs(target, `nobody${i}`));
  }
  const rows: BenchRow[] = [];
  for (const [label, times] of [["known", known], ["unknown", unknown]] as const) {
    times.sort((a, b) => a - b);
    for (const p of [25, 50, 75]) {
      rows.push({
        label: `login_start → login_challenge, ${label} name: p${p} (n=${count})`,
        value: round(percentile(times, p), 3),
        unit: "ms",
      });
    }
  }
  return rows;
}

/** Runs (a), (b) and (c) against `server` and fills `result`. */
async function measure(server: BurrowServer, sequentialCount: number): Promise<void> {
  const users = Array.from({ length: CONCURRENT }, (_, i) => `client${String(i).padStart(2, "0")}`);
  await addUsers(server, ["single", ...users]);
  const [hostname = "", port = ""] = server.address.split(/:(?=\d+$)/);
  const caCerts = [await Deno.readTextFile(server.caPath)];
  const target = { hostname, port: Number(port), caCerts };
  result.rows.push(...await sequentialLogins(target, sequentialCount));
  const prepared: Prepared[] = [];
  for (const user of users) prepared.push(await prepare(target, user));
  const kdf = DEFAULT_CLIENT_KDF_PARAMS;
  result.rows.push(ms(
    `client key derivation (Argon2id m=${kdf.memoryKiB} KiB t=${kdf.iterations} + HKDF): median of ${CONCURRENT}`,
    median(prepared.map((p) => p.deriveMs)),
  ));
  result.rows.push(...await concurrentLogins(target, prepared));
  result.rows.push(...await challengeLatency(target, options.quick ? 50 : CHALLENGES));
}

await runBench(
  options,
  result,
  () =>
    withScratch(
      "burrow-bench-login-",
      (scratch) => withServer(scratch, (server) => measure(server, options.quick ? 5 : 10)),
    ),
  [
    `Real \`burrow serve\` (deno run -A main.ts serve, default flags) on 127.0.0.1 with its own TLS CA; ${
      CONCURRENT + 1
    } users added with \`burrow useradd\`.`,
    "One-at-a-time logins go through connectClient + login: TLS, hello, login_start, client Argon2id + HKDF, login_proof, login_ok; one warm-up login first.",
    `For the ${CONCURRENT} concurrent logins each simulated client derived its auth key from the KDF string the server sent it (and proved it with one real login) before the clock started, as ${CONCURRENT} client machines would each run Argon2id on their own CPU. BurrowClient has no way to log in with a precomputed key, so these logins send hello, login_start and login_proof through connectToServer + RpcChannel, the modules BurrowClient uses; each is timed from TLS connect to login_ok. A real client's login takes about this latency plus its own key derivation (the row above).`,
    `The client side of all ${CONCURRENT} TLS handshakes runs in this one process on the same 2-core machine as the server, so the figures include that client CPU.`,
    "The server's rate limiter counts failed logins only; serve has no flag for its limits and none was needed.",
    "The challenge rows time login_start → login_challenge on a new connection each (after hello), alternating the known user with a new unknown name; known and unknown should match at every quartile.",
  ],
);
