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
 * Usage: deno run -A scripts/bench/s3_store.ts [--out DIR] [--quick]   (400 MiB; 200 MiB quick)
 *
 * @module
 */
import {
  fail,
  MiB,
  newResult,
  parseBenchArgs,
  progress,
  round,
  runBench,
} from "./_bench_result.ts";
import {
  type CliRun,
  lastErrorLine,
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

const options = parseBenchArgs(Deno.args);
const TREE_BYTES = (options.quick ? 200 : 400) * MiB;
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
  if (!await sameContent("diff", tree, `${dest}/tree`)) fail(result, `${label} restore differs`);
  await Deno.remove(dest, { recursive: true });
  return { push, pull };
}

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
  return { push, pull };
}

function addRows(
  local: { push: CliRun; pull: CliRun },
  s3: { push: CliRun; pull: CliRun },
  restic: { push: CliRun; pull: CliRun } | null,
): void {
  const s = (run: CliRun) => run.wallMs / 1000;
  const size = `${round(TREE_BYTES / MiB, 0)} MiB`;
  for (const step of ["push", "pull"] as const) {
    const what = step === "push" ? "full push" : "restore";
    result.rows.push(
      { label: `${what} of ${size}, local pack store`, value: round(s(local[step]), 2), unit: "s" },
      {
        label: `${what} of ${size}, S3 store on Ceph RGW`,
        value: round(s(s3[step]), 2),
        unit: "s",
        ...(restic === null ? {} : {
          restic: round(s(restic[step]), 2),
          target: "≤ 1.0× restic on S3",
          met: s(s3[step]) <= s(restic[step]),
        }),
      },
      {
        label: `${what}: S3 store ÷ local pack store`,
        value: round(s(s3[step]) / s(local[step]), 2),
        unit: "×",
      },
    );
    if (restic !== null) {
      result.rows.push({
        label: `${what}: S3 store ÷ restic on S3`,
        value: round(s(s3[step]) / s(restic[step]), 2),
        unit: "×",
      });
    }
  }
}

await runBench(options, result, () =>
  withScratch("burrow-bench-s3-", async (scratch) => {
    const s3 = await s3Service(scratch);
    try {
      const tree = `${scratch}/tree`;
      progress(`writing a tree of ${TREE_BYTES / MiB} MiB`);
      await makeTree(tree, "s3-store", TREE_BYTES, 2000);
      const local = await withServer(
        `${scratch}/local`,
        (server) => burrowRun(server, tree, scratch, "local"),
      );
      const prefix = `run-${crypto.randomUUID()}`;
      const onS3 = await withServer(
        `${scratch}/s3`,
        (server) => burrowRun(server, tree, scratch, "s3"),
        ["--store", `s3://burrow-bench/${prefix}`, "--s3-endpoint", s3.endpoint],
        s3.env,
      );
      const restic = await resticRun(s3, tree, scratch).catch((error) => {
        result.notes.push(`restic on S3 not measured: ${(error as Error).message}`);
        return null;
      });
      addRows(local, onS3, restic);
    } finally {
      await s3.stop?.();
    }
  }), [
  "One burrow serve per store on this 2-core machine, Ceph RGW (1 mon, 1 OSD on bluestore, " +
  "1 radosgw) on the same cores; restic writes to the same RGW with its own S3 back end.",
]);
