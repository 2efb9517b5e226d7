/**
 * `burrow check --read-data` beside `restic check --read-data`, in the same run: both back up the
 * bench's `mixed` dataset (~1 GiB, 20,054 files) into a fresh repository, burrow to a real
 * `burrow serve`, restic to `rclone serve restic` over TLS with burrow's server certificate;
 * then each reads back and verifies all its data, alternately, three times (quick: once).
 * Reports the median wall time of each, their ratio (target ≤ 1.0× restic), and burrow's
 * client and server peak RSS. Also times `burrow scrub` of the same data folder (server stopped).
 *
 * Usage: deno run -A scripts/bench/check_read_data.ts [--out DIR] [--quick]
 *
 * @module
 */
import {
  type CliRun,
  lastErrorLine,
  peakRssKiB,
  runTimed,
  startDaemon,
  withScratch,
} from "./_bench_process.ts";
import * as bench from "./_bench_result.ts";
import {
  addUsers,
  BENCH_PASSWORD,
  type BurrowServer,
  runBurrow,
  runClient,
  serverPidNote,
  withServer,
} from "./_bench_server.ts";
import { resticAvailable } from "./_bench_restic.ts";

const options = bench.parseBenchArgs(Deno.args);
const reps = options.quick ? 1 : 3;
const dataset = `${Deno.env.get("BENCH_DATA") ?? "/tmp/burrow-bench-data"}/mixed`;
const result = bench.newResult("check_read_data");

/** Runs `run` and throws with its last error line unless it exits 0. */
async function ok(what: string, run: Promise<CliRun>): Promise<CliRun> {
  const done = await run;
  if (done.code !== 0) throw new Error(`${what} failed: ${lastErrorLine(done)}`);
  return done;
}

/**
 * A restic repository behind `rclone serve restic` on 127.0.0.1 with `server`'s TLS certificate,
 * for the length of `body`, which gets a runner of restic commands.
 */
async function withResticRepository<T>(
  scratch: string,
  server: BurrowServer,
  body: (restic: (args: string[]) => Promise<CliRun>) => Promise<T>,
): Promise<T> {
  const tls = `${server.dataDir}/tls`;
  const rclone = await startDaemon(
    ["rclone", "serve", "restic", `${scratch}/restic`, "--addr", "127.0.0.1:0"].concat(
      ["--cert", `${tls}/server.pem`, "--key", `${tls}/server.key`],
    ),
    /Serving restic REST API on (https:\/\/\S+?)\/?\s/,
  );
  const env = {
    RESTIC_REPOSITORY: `rest:${rclone.ready[1]}/`,
    RESTIC_PASSWORD: BENCH_PASSWORD,
    RESTIC_CACHE_DIR: `${scratch}/restic-cache`,
  };
  try {
    return await body((args) =>
      ok(`restic ${args[0]}`, runTimed(["restic", "--cacert", server.caPath, ...args], { env }))
    );
  } finally {
    await rclone.stop();
  }
}

async function measure(scratch: string): Promise<void> {
  await Deno.stat(dataset).catch(() => {
    throw new Error(`${dataset} is missing: run scripts/bench/anchors/datasets.sh first`);
  });
  const useRestic = await resticAvailable();
  let dataDir = "";
  await withServer(scratch, async (server) => {
    dataDir = server.dataDir;
    await addUsers(server, ["check"]);
    bench.progress(`burrow push ${dataset}`);
    await ok("burrow push", runClient(server, "check", ["push", dataset, "--name", "mixed"]));
    const burrowRuns: CliRun[] = [];
    const resticRuns: CliRun[] = [];
    const burrowCheck = async () => {
      bench.progress("burrow check --read-data");
      const run = await ok("burrow check", runClient(server, "check", ["check", "--read-data"]));
      if (!/no problems found/.test(run.stdout)) {
        bench.fail(result, `burrow check said: ${run.stdout}`);
      }
      burrowRuns.push(run);
    };
    if (useRestic) {
      await withResticRepository(scratch, server, async (restic) => {
        await restic(["init", "--quiet"]);
        bench.progress(`restic backup ${dataset}`);
        await restic(["backup", "--quiet", dataset]);
        for (let rep = 0; rep < reps; rep++) {
          await burrowCheck();
          bench.progress("restic check --read-data");
          resticRuns.push(await restic(["check", "--read-data"]));
        }
      });
    } else {
      for (let rep = 0; rep < reps; rep++) await burrowCheck();
    }
    const seconds = (runs: CliRun[]) => bench.median(runs.map((run) => run.wallMs / 1000));
    const burrowS = seconds(burrowRuns);
    const resticS = useRestic ? seconds(resticRuns) : undefined;
    result.rows.push({
      label: "check --read-data of mixed: wall",
      value: bench.round(burrowS, 2),
      unit: "s",
      ...(resticS === undefined ? {} : {
        restic: bench.round(resticS, 2),
        target: "≤ 1.0× restic",
        met: burrowS <= resticS,
      }),
    });
    result.rows.push({
      label: "check --read-data: client peak RSS",
      value: bench.round(bench.median(burrowRuns.map((run) => (run.peakRssKiB ?? NaN) / 1024))),
      unit: "MiB",
      ...(useRestic
        ? {
          restic: bench.round(
            bench.median(resticRuns.map((run) => (run.peakRssKiB ?? NaN) / 1024)),
          ),
        }
        : {}),
    });
    result.rows.push({
      label: "server peak RSS (VmHWM, push and checks)",
      value: bench.round((peakRssKiB(server.pid) ?? NaN) / 1024),
      unit: "MiB",
    });
    result.notes.push(serverPidNote(server));
  });
  bench.progress("burrow scrub (server stopped)");
  const scrub = await ok("burrow scrub", runBurrow(["scrub", "--data", dataDir]));
  result.rows.push({
    label: "scrub of the same data folder: wall",
    value: bench.round(scrub.wallMs / 1000, 2),
    unit: "s",
  });
  result.notes.push(
    useRestic
      ? "restic column: restic → `rclone serve restic` on 127.0.0.1 over TLS with burrow's own server certificate, fresh repository, defaults; `restic check --read-data` reads every pack."
      : "restic was not measured (restic or rclone is not installed).",
  );
}

await bench.runBench(
  options,
  result,
  () => withScratch("burrow-bench-check-", measure),
  [
    `One real \`burrow serve\` (default flags) on 127.0.0.1, one user, one push of ${dataset}; then \`burrow check --read-data\` and \`restic check --read-data\` alternately, ${reps} time(s) each, medians shown. Each is one CLI process (start-up and login included).`,
    "burrow check --read-data downloads every chunk the snapshots reference, once, and verifies its tag and keyed id (the restore pipeline with two open workers); restic reads every pack and verifies every blob.",
    "scrub: `burrow scrub --data DIR` after the server stopped: every pack read and hashed (SHA-256), every record's CRC-32 checked, no key.",
  ],
);
