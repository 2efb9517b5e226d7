/**
 * Many users pushing at once to one real `burrow serve` over TLS on 127.0.0.1: 32 distinct
 * trees of about 20 MiB (quick: 8), one user each, 32 `burrow push` processes started together.
 * Measures whether all succeed, the wall time, the aggregate MiB/s (source bytes / wall time)
 * against a push of one such tree alone, and the server's peak RSS (VmHWM of the deno process
 * that runs it). Three of the pushed trees are then pulled back and compared with `diff -r`.
 *
 * Each tree: 200 files of 1–64 KiB (half text-like, half random) and four files of about
 * 2–5 MiB, every byte unique (see `_bench_data.ts`).
 *
 * Usage: deno run -A scripts/bench/concurrent_push.ts [--out DIR] [--quick]
 *
 * @module
 */
import { makeTree } from "./_bench_data.ts";
import {
  fail,
  median,
  MiB,
  newResult,
  parseBenchArgs,
  progress,
  round,
  runBench,
} from "./_bench_result.ts";
import {
  type CliRun,
  cpuSeconds,
  hasGnuTime,
  lastErrorLine,
  peakRssKiB,
  sameContent,
  withScratch,
} from "./_bench_process.ts";
import {
  addUsers,
  type BurrowServer,
  runClient,
  serverPidNote,
  withServer,
} from "./_bench_server.ts";

const TREE_BYTES = 20 * MiB;
const SOLO_RUNS = 3;
const SERVER_RSS_TARGET_MiB = 300;

const options = parseBenchArgs();
const treeCount = options.quick ? 8 : 32;
const result = newResult("concurrent_push");

/** One generated tree and the user who pushes it. */
interface Tree {
  dir: string;
  bytes: number;
  user: string;
  set: string;
}

/** Pushes `dir` as set `set` of `user`, with `--json`; the caller checks the exit code. */
function push(server: BurrowServer, user: string, dir: string, set: string): Promise<CliRun> {
  return runClient(server, user, ["push", dir, "--name", set, "--json"]);
}

/** Fails the result unless the push's --json summary counts the bytes the tree holds. */
function checkSummary(run: CliRun, bytes: number, what: string): void {
  let summary: { bytes?: number } = {};
  try {
    summary = JSON.parse(run.stdout);
  } catch {
    // Reported below.
  }
  if (summary.bytes !== bytes) {
    fail(result, `${what}: push reported ${summary.bytes} bytes, the tree has ${bytes}`);
  }
}

/** User "solo" pushes the first trees to fresh sets, one at a time: median MiB/s and wall s. */
async function soloPushes(server: BurrowServer, trees: Tree[]) {
  const speeds: number[] = [];
  const walls: number[] = [];
  for (const [i, tree] of trees.slice(0, SOLO_RUNS).entries()) {
    const run = await push(server, "solo", tree.dir, `solo${i}`);
    if (run.code !== 0) throw new Error(`single push ${i} failed: ${lastErrorLine(run)}`);
    checkSummary(run, tree.bytes, `single push ${i}`);
    walls.push(run.wallMs / 1000);
    speeds.push(tree.bytes / MiB / (run.wallMs / 1000));
  }
  return { mibs: median(speeds), wallS: median(walls) };
}

/** Starts every tree's push at once; wall time, server CPU and peak RSS, how many exited 0. */
async function pushAll(server: BurrowServer, trees: Tree[]) {
  const cpuBefore = cpuSeconds(server.pid) ?? NaN;
  const start = performance.now();
  const runs = await Promise.all(trees.map((tree) => push(server, tree.user, tree.dir, tree.set)));
  const wallS = (performance.now() - start) / 1000;
  const serverCpuS = (cpuSeconds(server.pid) ?? NaN) - cpuBefore;
  const serverPeakMiB = (peakRssKiB(server.pid) ?? NaN) / 1024;
  const failed = runs.flatMap((run, i) =>
    run.code === 0 ? [] : [`${trees[i]!.user}: ${lastErrorLine(run)}`]
  );
  if (failed.length > 0) {
    fail(result, `${failed.length} of ${trees.length} pushes failed; first: ${failed[0]}`);
  }
  for (const [i, run] of runs.entries()) {
    if (run.code === 0) checkSummary(run, trees[i]!.bytes, trees[i]!.user);
  }
  const clientPeakMiB = Math.max(...runs.map((run) => run.peakRssKiB ?? NaN)) / 1024;
  return {
    succeeded: runs.length - failed.length,
    wallS,
    serverCpuS,
    serverPeakMiB,
    clientPeakMiB,
  };
}

/** Pulls `trees` back and compares each with its source (`diff -r`); how many matched. */
async function verifyPulls(server: BurrowServer, trees: Tree[]): Promise<number> {
  let verified = 0;
  for (const tree of trees) {
    const dest = `${tree.dir}-pulled`;
    const run = await runClient(server, tree.user, ["pull", dest, "--name", tree.set]);
    const name = tree.dir.split("/").at(-1)!;
    if (run.code !== 0) fail(result, `pull of ${tree.set} failed: ${lastErrorLine(run)}`);
    else if (!(await sameContent("diff", tree.dir, `${dest}/${name}`))) {
      fail(result, `${tree.set} pulled back differs from what was pushed (diff -r)`);
    } else verified++;
    await Deno.remove(dest, { recursive: true }).catch(() => {});
  }
  return verified;
}

async function measure(server: BurrowServer, trees: Tree[]): Promise<void> {
  progress(`adding ${trees.length + 1} users`);
  await addUsers(server, [...trees.map((tree) => tree.user), "solo"]);
  progress(`${SOLO_RUNS} single pushes, one at a time`);
  const solo = await soloPushes(server, trees);
  progress(`${trees.length} pushes at once`);
  const all = await pushAll(server, trees);
  const checked = [0, Math.floor(trees.length / 2), trees.length - 1].map((i) => trees[i]!);
  progress(`pulling ${checked.length} of them back to compare`);
  const verified = await verifyPulls(server, checked);

  const n = trees.length;
  const totalMiB = trees.reduce((sum, tree) => sum + tree.bytes, 0) / MiB;
  const aggregate = totalMiB / all.wallS;
  result.rows.push(
    {
      label: "pushes at once that exited 0",
      value: all.succeeded,
      unit: "pushes",
      target: `all ${n} succeed`,
      met: all.succeeded === n,
    },
    { label: `source data (${n} trees)`, value: round(totalMiB), unit: "MiB" },
    { label: `wall time, ${n} pushes at once`, value: round(all.wallS, 2), unit: "s" },
    {
      label: "aggregate (source bytes / wall)",
      value: round(aggregate),
      unit: "MiB/s",
      target: "≥ single push MiB/s",
      met: aggregate >= solo.mibs,
    },
    { label: `single push alone, median of ${SOLO_RUNS}`, value: round(solo.mibs), unit: "MiB/s" },
    {
      label: `single push alone, wall (median of ${SOLO_RUNS})`,
      value: round(solo.wallS, 2),
      unit: "s",
    },
    {
      label: "server peak RSS (VmHWM)",
      value: round(all.serverPeakMiB),
      unit: "MiB",
      target: `≤ ${SERVER_RSS_TARGET_MiB} MiB`,
      met: all.serverPeakMiB <= SERVER_RSS_TARGET_MiB,
    },
    { label: `server CPU during the ${n} pushes`, value: round(all.serverCpuS), unit: "s" },
    { label: `client peak RSS, largest of ${n}`, value: round(all.clientPeakMiB), unit: "MiB" },
    {
      label: "trees pulled back and identical (diff -r)",
      value: verified,
      unit: "trees",
      target: `${checked.length}`,
      met: verified === checked.length,
    },
  );
  result.notes.push(serverPidNote(server));
  if (!hasGnuTime()) fail(result, "/usr/bin/time is missing: no client peak RSS");
}

await runBench(options, result, () =>
  withScratch("burrow-bench-push-", async (scratch) => {
    progress(`making ${treeCount} trees of ${TREE_BYTES / MiB} MiB`);
    const trees: Tree[] = [];
    for (let i = 0; i < treeCount; i++) {
      const n = String(i).padStart(2, "0");
      const dir = `${scratch}/src/tree${n}`;
      const { bytes } = await makeTree(dir, `concurrent_push ${i}`, TREE_BYTES);
      trees.push({ dir, bytes, user: `user${n}`, set: `tree${n}` });
    }
    await withServer(scratch, (server) => measure(server, trees));
  }), [
  `One real \`burrow serve\` (default flags) on 127.0.0.1 with its own TLS CA; ${treeCount} users (burrow useradd), each pushing its own tree with the \`burrow push\` CLI, all ${treeCount} processes started at once; wall time runs from the first start to the last exit.`,
  `Every push is a separate \`deno run -A main.ts push\` process (start-up, TLS, Argon2id login and all), sharing this 2-core machine with the server, so the aggregate is bounded by the CPU of one machine doing both sides.`,
  `The single push is user "solo" pushing trees 0–${
    SOLO_RUNS - 1
  } to fresh sets, one at a time, before the concurrent run; its MiB/s is tree bytes / wall time of the process.`,
  "Server peak RSS is VmHWM from /proc/PID/status of the deno process running `serve`, read right after the last push (it covers the single pushes too); client RSS is GNU time's %M.",
  "Each push's --json summary must report the tree's byte count; trees 0, n/2 and n−1 are pulled back with `burrow pull` and compared with `diff -r`.",
]);
