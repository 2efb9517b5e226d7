/**
 * The S3 chunk store beside the local pack store and beside restic's own S3 back end, in the
 * same run: a tree of unique data (`_bench_data.ts`) is pushed in full and restored by burrow
 * through one `burrow serve` with the local pack store, by burrow through one `burrow serve
 * --store s3://…` onto Ceph RADOS Gateway, and by restic straight to the same RGW
 * (`restic -r s3:…`). Every restore is compared with the tree.
 *
 * The S3 service comes from the environment that `scripts/scaleout/ceph-rgw-up.sh` prints
 * (S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); without it, the script starts RGW
 * itself in a scratch folder and stops it at the end.
 *
 * Usage: deno run -A scripts/bench/s3_store.ts [--out DIR] [--quick] [--no-local]
 *   (a tree of 400 MiB; 200 MiB quick). Environment: BENCH_S3_TREE=DIR measures that tree instead
 *   (e.g. the `mixed` dataset, /tmp/burrow-bench-data/mixed); BENCH_S3_REPS=N repeats the S3 and
 *   restic runs N times (burrow first in odd repetitions, restic in even ones) and reports medians;
 *   `--no-local` leaves out the local pack store.
 *
 * @module
 */
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
  lastErrorLine,
  peakRssKiB,
  runTimed,
  sameContent,
  withScratch,
} from "./_bench_process.ts";
import {
  addUsers,
  BENCH_PASSWORD,
  type BurrowServer,
  runClient,
  withServer,
} from "./_bench_server.ts";
import { makeTree } from "./_bench_data.ts";

const options = parseBenchArgs(Deno.args, ["no-local"]);
const GIVEN_TREE = Deno.env.get("BENCH_S3_TREE");
const REPS = Math.max(1, Number(Deno.env.get("BENCH_S3_REPS") ?? "1") || 1);
let treeBytes = (options.quick ? 200 : 400) * MiB;
const USER = "s3bench";
const SCALEOUT = new URL("../scaleout/", import.meta.url).pathname;
const result = newResult("s3_store");

interface S3Env {
  endpoint: string;
  env: Record<string, string>;
}

/** The S3 service of the environment, or one started in `scratch` (with its stop). */
async function s3Service(scratch: string): Promise<S3Env & { stop?: () => Promise<void> }> {
  const read = (env: Record<string, string | undefined>) => ({
    endpoint: env.S3_ENDPOINT!,
    env: {
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID!,
      AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY!,
      AWS_REGION: env.AWS_REGION ?? "us-east-1",
    },
  });
  if (Deno.env.get("S3_ENDPOINT") !== undefined) return read(Deno.env.toObject());
  progress("starting Ceph RGW (scripts/scaleout/ceph-rgw-up.sh)");
  const dir = `${scratch}/ceph`;
  const up = await runTimed([`${SCALEOUT}ceph-rgw-up.sh`, dir], { timeoutMs: 10 * 60_000 });
  if (up.code !== 0) throw new Error(`cannot start Ceph RGW: ${lastErrorLine(up)}`);
  const vars = Object.fromEntries(
    up.stdout.trim().split("\n").map((line) => [line.split("=")[0]!, line.split("=")[1]]),
  );
  const stop = async () => void await runTimed([`${SCALEOUT}ceph-rgw-down.sh`, "--purge", dir]);
  return { ...read(vars), stop };
}

/** Pushes `tree` and pulls it back through `server`, checking the restore. */
async function burrowRun(server: BurrowServer, tree: string, scratch: string, label: string) {
  await addUsers(server, [USER]);
  progress(`${label}: push`);
  const push = await runClient(server, USER, ["push", tree]);
  if (push.code !== 0) throw new Error(`${label} push failed: ${lastErrorLine(push)}`);
  progress(`${label}: pull`);
  const dest = `${scratch}/restore-${label}`;
  const pull = await runClient(server, USER, ["pull", dest]);
  if (pull.code !== 0) throw new Error(`${label} pull failed: ${lastErrorLine(pull)}`);
  if (!await sameContent("diff", tree, `${dest}/${tree.split("/").at(-1)}`)) {
    fail(result, `${label} restore differs`);
  }
  await Deno.remove(dest, { recursive: true });
  const rssMiB = (peakRssKiB(server.pid) ?? 0) / 1024;
  const cpu = cpuSeconds(server.pid) ?? 0;
  progress(
    `${label}: push ${s(push)} s, pull ${s(pull)} s, server peak RSS ${round(rssMiB, 0)} MiB, ` +
      `CPU ${round(cpu, 1)} s`,
  );
  return { push, pull, rssMiB, cpu };
}

const s = (run: CliRun) => round(run.wallMs / 1000, 2);

/** restic's backup and restore of `tree` to its own S3 repository on the same service. */
async function resticRun(s3: S3Env, tree: string, scratch: string) {
  const env = {
    ...s3.env,
    RESTIC_REPOSITORY: `s3:${s3.endpoint}/burrow-bench-restic/${crypto.randomUUID()}`,
    RESTIC_PASSWORD: BENCH_PASSWORD,
    RESTIC_CACHE_DIR: `${scratch}/restic-cache`,
  };
  const restic = async (args: string[]) => {
    const run = await runTimed(["restic", "--quiet", ...args], { env, timeoutMs: 30 * 60_000 });
    if (run.code !== 0) throw new Error(`restic ${args[0]} failed: ${lastErrorLine(run)}`);
    return run;
  };
  await restic(["init"]);
  progress("restic on S3: backup");
  const push = await restic(["backup", tree]);
  progress("restic on S3: restore");
  const target = `${scratch}/restore-restic`;
  const pull = await restic(["restore", "latest", "--target", target]);
  if (!await sameContent("diff", tree, `${target}${tree}`)) fail(result, "restic restore differs");
  await Deno.remove(target, { recursive: true });
  progress(`restic on S3: backup ${s(push)} s, restore ${s(pull)} s`);
  return { push, pull };
}

type Times = { push: number; pull: number };

/** Medians in seconds of the runs' push and pull. */
function medians(runs: { push: CliRun; pull: CliRun }[]): Times {
  return {
    push: median(runs.map((run) => run.push.wallMs / 1000)),
    pull: median(runs.map((run) => run.pull.wallMs / 1000)),
  };
}

function addRows(local: Times | null, s3: Times, restic: Times | null): void {
  const size = `${round(treeBytes / MiB, 0)} MiB`;
  for (const step of ["push", "pull"] as const) {
    const what = step === "push" ? "full push" : "restore";
    if (local !== null) {
      result.rows.push({
        label: `${what} of ${size}, local pack store`,
        value: round(local[step], 2),
        unit: "s",
      });
    }
    result.rows.push({
      label: `${what} of ${size}, S3 store on Ceph RGW`,
      value: round(s3[step], 2),
      unit: "s",
      ...(restic === null ? {} : {
        restic: round(restic[step], 2),
        target: "≤ 1.0× restic on S3",
        met: s3[step] <= restic[step],
      }),
    });
    if (local !== null) {
      result.rows.push({
        label: `${what}: S3 store ÷ local pack store`,
        value: round(s3[step] / local[step], 2),
        unit: "×",
      });
    }
    if (restic !== null) {
      result.rows.push({
        label: `${what}: S3 store ÷ restic on S3`,
        value: round(s3[step] / restic[step], 2),
        unit: "×",
      });
    }
  }
}

/** Bytes of the regular files under `dir`. */
async function treeSize(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) total += await treeSize(path);
    else if (entry.isFile) total += (await Deno.stat(path)).size;
  }
  return total;
}

await runBench(options, result, () =>
  withScratch("burrow-bench-s3-", async (scratch) => {
    const s3 = await s3Service(scratch);
    try {
      let tree = `${scratch}/tree`;
      if (GIVEN_TREE === undefined) {
        progress(`writing a tree of ${treeBytes / MiB} MiB`);
        await makeTree(tree, "s3-store", treeBytes, 2000);
      } else {
        tree = GIVEN_TREE;
        treeBytes = await treeSize(tree);
      }
      const local = options.flags.has("no-local") ? null : await withServer(
        `${scratch}/local`,
        (server) => burrowRun(server, tree, scratch, "local"),
      );
      const onS3: { push: CliRun; pull: CliRun; rssMiB: number; cpu: number }[] = [];
      const restic: { push: CliRun; pull: CliRun }[] = [];
      const runS3 = async (rep: number) => {
        const prefix = `run-${crypto.randomUUID()}`;
        onS3.push(
          await withServer(
            `${scratch}/s3-${rep}`,
            (server) => burrowRun(server, tree, scratch, "s3"),
            ["--store", `s3://burrow-bench/${prefix}`, "--s3-endpoint", s3.endpoint],
            s3.env,
          ),
        );
      };
      let resticFailed = false;
      const runRestic = async () => {
        if (resticFailed) return;
        await resticRun(s3, tree, scratch).then((run) => restic.push(run), (error) => {
          resticFailed = true;
          result.notes.push(`restic on S3 not measured: ${(error as Error).message}`);
        });
      };
      for (let rep = 1; rep <= REPS; rep++) {
        progress(`repetition ${rep} of ${REPS}`);
        if (rep % 2 === 1) await runS3(rep).then(runRestic);
        else await runRestic().then(() => runS3(rep));
      }
      const s3Times = medians(onS3);
      const resticTimes = resticFailed || restic.length === 0 ? null : medians(restic);
      addRows(local === null ? null : medians([local]), s3Times, resticTimes);
      result.rows.push(
        {
          label: "S3 store: server peak RSS (median)",
          value: round(median(onS3.map((run) => run.rssMiB)), 0),
          unit: "MiB",
        },
        {
          label: "S3 store: server CPU for push and restore (median)",
          value: round(median(onS3.map((run) => run.cpu)), 1),
          unit: "s",
        },
      );
      const each = (runs: { push: CliRun; pull: CliRun }[], step: "push" | "pull") =>
        runs.map((run) => s(run[step])).join(", ");
      result.notes.push(
        `${REPS} repetition(s); S3 push ${each(onS3, "push")} s, restore ${
          each(onS3, "pull")
        } s; restic backup ${each(restic, "push")} s, restore ${each(restic, "pull")} s.`,
      );
    } finally {
      await s3.stop?.();
    }
  }), [
  "One burrow serve per store on this 2-core machine, Ceph RGW (1 mon, 1 OSD on bluestore, " +
  "1 radosgw) on the same cores; restic writes to the same RGW with its own S3 back end.",
]);
