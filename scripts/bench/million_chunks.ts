/**
 * A push into a repository of a million chunks, against the same push into an empty one, on a
 * real `burrow serve` over TLS on 127.0.0.1. Two users push the same small tree with the CLI (so
 * each has a key and a snapshot); with the server stopped, one of them gets 1,000,000 synthetic
 * chunks (quick: 100,000) written straight through the chunk store (`_seed_chunks.ts`). Then the
 * server starts again, and both push the same 10 MiB change with the CLI, the empty repository
 * first; three times (quick: once), with a new change each time. Measures each push's wall time
 * and client peak RSS (GNU time's %M), the server's peak RSS (VmHWM), the time to open the large
 * repository and to list its chunk ids (`list_chunks`, every page) through the client library,
 * and how long the server kept a third user waiting meanwhile: over and over during the large
 * pushes (and, for comparison, the empty-repository ones), that user asks for a chunk it does
 * not have (`get_chunks`, answered from memory without touching the disk), so the longest round
 * trip is the longest stall of the server's event loop it ran into.
 *
 * Usage: deno run -A scripts/bench/million_chunks.ts [--out DIR] [--quick]
 *
 * @module
 */
import type { BurrowClient } from "../../src/client/burrow_client.ts";
import { connectClient } from "../../src/client/connection.ts";
import { makeTree } from "./_bench_data.ts";
import {
  type BenchRow,
  fail,
  median,
  MiB,
  newResult,
  parseBenchArgs,
  percentile,
  progress,
  round,
  runBench,
} from "./_bench_result.ts";
import {
  type CliRun,
  hasGnuTime,
  lastErrorLine,
  peakRssKiB,
  withScratch,
} from "./_bench_process.ts";
import {
  addUsers,
  BENCH_PASSWORD,
  type BurrowServer,
  runClient,
  serverPidNote,
  withServer,
} from "./_bench_server.ts";

const CLIENT_RSS_TARGET_MiB = 200;
const SERVER_RSS_TARGET_MiB = 300;
const WALL_RATIO_TARGET = 2;
const STALL_TARGET_MS = 50;
/** Pause between two probe requests, so the probe measures the server, not its own load. */
const PROBE_GAP_MS = 5;
const IDLE_PROBE_MS = 2000;
const CHANGE_BYTES = 10 * MiB;

const options = parseBenchArgs();
const chunkCount = options.quick ? 100_000 : 1_000_000;
const reps = options.quick ? 1 : 3;
const result = newResult("million_chunks");
const LARGE = "large";
const EMPTY = "empty";
const PEER = "peer";

/** Where the library client connects. */
interface Target {
  hostname: string;
  port: number;
  caCerts: string[];
}

async function targetOf(server: BurrowServer): Promise<Target> {
  const [hostname = "", port = ""] = server.address.split(/:(?=\d+$)/);
  return { hostname, port: Number(port), caCerts: [await Deno.readTextFile(server.caPath)] };
}

/** `burrow push TREE --name tree` as `user`. @throws {Error} when it fails */
async function push(server: BurrowServer, user: string, tree: string): Promise<CliRun> {
  const run = await runClient(server, user, ["push", tree, "--name", "tree"]);
  if (run.code !== 0) throw new Error(`push as ${user} failed: ${lastErrorLine(run)}`);
  return run;
}

/** A logged-in library client of `user`, closed after `body`. */
async function asUser<T>(
  target: Target,
  user: string,
  body: (client: BurrowClient) => Promise<T>,
): Promise<T> {
  const client = await connectClient(target);
  try {
    await client.login(user, BENCH_PASSWORD);
    return await body(client);
  } finally {
    await client.close();
  }
}

/** Round trips of a `get_chunks` the server answers from memory, while `running()` holds. */
async function probe(client: BurrowClient, running: () => boolean): Promise<number[]> {
  const times: number[] = [];
  const absent = [crypto.getRandomValues(new Uint8Array(32))];
  while (running()) {
    const start = performance.now();
    const reply = await client.getChunks(absent);
    if (reply.missing.length !== 1) throw new Error("the probe's chunk exists");
    times.push(performance.now() - start);
    await new Promise((resolve) => setTimeout(resolve, PROBE_GAP_MS));
  }
  return times;
}

/**
 * The worst event-loop lag the server logged (`serve --debug-timings`: one line a second, for
 * the second before it) between `from` and a second after `to` (epoch milliseconds).
 */
function serverLag(server: BurrowServer, from: number, to: number): number {
  let worst = -1;
  for (const line of server.logTail().split("\n")) {
    const match = /^(\S+Z) info event loop lag maxMs=([\d.]+)$/.exec(line);
    const at = match === null ? NaN : Date.parse(match[1]!);
    if (at >= from && at <= to + 1000) worst = Math.max(worst, Number(match![2]));
  }
  return worst;
}

/**
 * Runs `work` while the peer probes the server; returns its result, the probe's times and the
 * worst event-loop lag the server logged meanwhile.
 */
async function probed<T>(
  server: BurrowServer,
  target: Target,
  work: () => Promise<T>,
): Promise<{ value: T; idle: number[]; busy: number[]; lagMs: number }> {
  const result = await probedRoundTrips(target, async () => {
    const from = Date.now();
    const value = await work();
    return { value, from, to: Date.now() };
  });
  const { value, from, to } = result.value;
  return { ...result, value, lagMs: serverLag(server, from, to) };
}

/** Runs `work` while the peer probes the server; returns its result and the probe's times. */
function probedRoundTrips<T>(
  target: Target,
  work: () => Promise<T>,
): Promise<{ value: T; idle: number[]; busy: number[] }> {
  return asUser(target, PEER, async (client) => {
    await client.listSnapshots(); // opens the peer's repository before timing
    const idleUntil = performance.now() + IDLE_PROBE_MS;
    const idle = await probe(client, () => performance.now() < idleUntil);
    let running = true;
    const busy = probe(client, () => running);
    try {
      const value = await work();
      running = false;
      return { value, idle, busy: await busy };
    } finally {
      running = false;
      await busy.catch(() => {});
    }
  });
}

/** Opening the large repository (first request after login) and listing every chunk id. */
function listTimes(target: Target): Promise<{ openMs: number; listMs: number; ids: number }> {
  return asUser(target, LARGE, async (client) => {
    let start = performance.now();
    await client.listSnapshots();
    const openMs = performance.now() - start;
    start = performance.now();
    const ids = await client.listChunkIds();
    return { openMs, listMs: performance.now() - start, ids: ids.size };
  });
}

const mib = (run: CliRun) => (run.peakRssKiB ?? NaN) / 1024;
const seconds = (run: CliRun) => run.wallMs / 1000;

async function measure(scratch: string): Promise<void> {
  const tree = `${scratch}/tree`;
  const data = `${scratch}/server-data`;
  progress("writing the base tree (4 MiB)");
  await makeTree(`${tree}/base`, "million base", 4 * MiB, 50);
  await withServer(scratch, async (server) => {
    await addUsers(server, [LARGE, EMPTY, PEER]);
    progress("first push of both users");
    await push(server, LARGE, tree);
    await push(server, EMPTY, tree);
  });
  progress(`seeding ${chunkCount} chunks into ${LARGE}'s repository (server stopped)`);
  const seed = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_seed_chunks.ts", import.meta.url).pathname,
      `${data}/repos/${LARGE}/chunks`,
      String(chunkCount),
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const seedText = new TextDecoder().decode(seed.success ? seed.stdout : seed.stderr).trim();
  if (!seed.success) throw new Error(`seeding failed: ${seedText}`);
  progress(`seeded: ${seedText}`);
  await withServer(scratch, async (server) => {
    const target = await targetOf(server);
    const runs: Pushes[] = [];
    for (let rep = 1; rep <= reps; rep++) {
      progress(`change ${rep} of ${reps}: writing 10 MiB`);
      await makeTree(`${tree}/change${rep}`, `million change ${rep}`, CHANGE_BYTES, 100);
      progress(`change ${rep}: push into the empty repository, probed`);
      const empty = await probed(server, target, () => push(server, EMPTY, tree));
      progress(`change ${rep}: push into the repository of ${chunkCount} chunks, probed`);
      const large = await probed(server, target, () => push(server, LARGE, tree));
      runs.push({
        empty: empty.value,
        large: large.value,
        emptyLagMs: empty.lagMs,
        largeLagMs: large.lagMs,
        idle: [...empty.idle, ...large.idle],
        emptyBusy: empty.busy,
        busy: large.busy,
      });
    }
    progress("open and list_chunks through the client library");
    const listed = await listTimes(target);
    if (listed.ids < chunkCount) {
      fail(result, `the server listed ${listed.ids} ids, fewer than the ${chunkCount} seeded`);
    }
    addRows(runs, listed, (peakRssKiB(server.pid) ?? NaN) / 1024);
    result.notes.push(serverPidNote(server));
  }, ["--debug-timings"]);
  if (!hasGnuTime()) fail(result, "/usr/bin/time is missing: client peak RSS cannot be measured");
}

/** One repetition: the two pushes of the same change, and the probe's round trips. */
interface Pushes {
  empty: CliRun;
  large: CliRun;
  /** The worst event-loop lag the server logged during each push (-1: none logged). */
  emptyLagMs: number;
  largeLagMs: number;
  /** The probe's round trips before each push, during the empty one, during the large one. */
  idle: number[];
  emptyBusy: number[];
  busy: number[];
}

/** A row of the median over the repetitions, with min–max in the label when there are several. */
function medianRow(label: string, values: number[], unit: string, digits = 2): BenchRow {
  const spread = values.length > 1
    ? ` (${round(Math.min(...values), digits)}–${round(Math.max(...values), digits)})`
    : "";
  return { label: `${label}${spread}`, value: round(median(values), digits), unit };
}

function addRows(
  runs: Pushes[],
  listed: { openMs: number; listMs: number; ids: number },
  serverPeak: number,
): void {
  const count = `${chunkCount.toLocaleString("en")} chunks`;
  const emptyS = runs.map((run) => seconds(run.empty));
  const largeS = runs.map((run) => seconds(run.large));
  const ratio = median(largeS) / median(emptyS);
  const clientPeak = Math.max(...runs.map((run) => mib(run.large)));
  const busy = runs.flatMap((run) => run.busy).sort((a, b) => a - b);
  const idle = runs.flatMap((run) => run.idle).sort((a, b) => a - b);
  const emptyBusy = runs.flatMap((run) => run.emptyBusy).sort((a, b) => a - b);
  const stall = Math.max(...runs.map((run) => run.largeLagMs));
  const emptyStall = Math.max(...runs.map((run) => run.emptyLagMs));
  if (stall < 0 || emptyStall < 0) fail(result, "the server logged no event loop lag");
  const of = reps > 1 ? `, median of ${reps}` : "";
  result.rows.push(
    { label: "chunks listed in the large repository", value: listed.ids, unit: "ids" },
    medianRow(`push 10 MiB change, empty repository: wall${of}`, emptyS, "s"),
    medianRow(`push 10 MiB change, ${count}: wall${of}`, largeS, "s"),
    {
      label: `push wall, ${count} / empty repository (medians)`,
      value: round(ratio, 2),
      unit: "ratio",
      target: `≤ ${WALL_RATIO_TARGET}`,
      met: ratio <= WALL_RATIO_TARGET,
    },
    {
      label: "push into the empty repository: client peak RSS (highest)",
      value: round(Math.max(...runs.map((run) => mib(run.empty)))),
      unit: "MiB",
    },
    {
      label: `push into ${count}: client peak RSS (highest)`,
      value: round(clientPeak),
      unit: "MiB",
      target: `≤ ${CLIENT_RSS_TARGET_MiB} MiB`,
      met: clientPeak <= CLIENT_RSS_TARGET_MiB,
    },
    {
      label: "server peak RSS (VmHWM, whole second run)",
      value: round(serverPeak),
      unit: "MiB",
      target: `≤ ${SERVER_RSS_TARGET_MiB} MiB`,
      met: serverPeak <= SERVER_RSS_TARGET_MiB,
    },
    {
      label: `open the repository of ${count} (first request, after the pushes)`,
      value: round(listed.openMs),
      unit: "ms",
    },
    { label: `list_chunks, every id (${count})`, value: round(listed.listMs), unit: "ms" },
    {
      label: "server event-loop stall during the large pushes (worst lag it logged)",
      value: round(stall),
      unit: "ms",
      target: `≤ ${STALL_TARGET_MS} ms`,
      met: stall <= STALL_TARGET_MS,
    },
    {
      label: "server event-loop stall during the empty-repository pushes",
      value: round(emptyStall),
      unit: "ms",
    },
    {
      label: "another user's longest round trip during the large pushes",
      value: round(busy.at(-1) ?? NaN),
      unit: "ms",
    },
    {
      label: "another user's p99 round trip during the large pushes",
      value: round(percentile(busy, 99)),
      unit: "ms",
    },
    {
      label: "another user's longest round trip during the empty-repository pushes",
      value: round(emptyBusy.at(-1) ?? NaN),
      unit: "ms",
    },
    {
      label: "another user's longest round trip before the pushes (idle server)",
      value: round(idle.at(-1) ?? NaN),
      unit: "ms",
    },
  );
  result.notes.push(
    `The probe sent ${busy.length} get_chunks during the large pushes, ${emptyBusy.length} during the empty-repository ones and ${idle.length} in the ${IDLE_PROBE_MS} ms before each push, one every ${PROBE_GAP_MS} ms after the previous reply.`,
  );
}

await runBench(
  options,
  result,
  () => withScratch("burrow-bench-million-", measure),
  [
    `One real \`burrow serve\` (default flags) on 127.0.0.1 with its own TLS CA; users ${LARGE}, ${EMPTY} and ${PEER}. Both pushing users first push the same 4 MiB tree with the CLI. With the server stopped, ${
      chunkCount.toLocaleString("en")
    } synthetic chunks (random 32-byte ids, 64-byte random blobs, 1 MiB packs) are written into ${LARGE}'s chunk store through PackChunkStore; then the server starts again and both push the tree with a 10 MiB change added (104 new files), ${EMPTY} first; ${reps} time(s), each with a new change.`,
    "Each push is one `burrow` CLI process (start-up and login included); client peak RSS is GNU time's %M, server peak RSS is VmHWM of the deno process running `serve` since its restart.",
    `The repository is opened anew by each session that needs it once the previous one let it go, so the large push pays for loading its index; the open and list_chunks rows time that through the client library after the push (list_snapshots right after login, then every list_chunks page into one IdSet).`,
    "The stall rows are the server's own measure (`serve --debug-timings`): a timer due every 25 ms, and once a second the latest it ran in that second, which counts both time the event loop was busy and time the server waited for a CPU on this 2-core machine while the client's workers ran; the rows take the worst second that overlaps each push.",
    `The round-trip rows are ${PEER}'s get_chunks (one id it does not have: answered from memory, no disk), on a connection open and logged in before each push, from the start of the push to its end, on the same probed pushes: they add the probe's own waits for a CPU to the server's.`,
  ],
);
