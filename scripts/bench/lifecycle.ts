/**
 * Forget and prune after a history of pushes: a copy of the bench's `mixed` tree is backed up 10
 * times (also with --quick), changed between backups as the anchors' incremental step changes it
 * (`gen-mixed.mjs mutate`, a different seed each step), by burrow through a real `burrow serve`
 * and, where restic and rclone are installed, by restic through `rclone serve restic` on the same
 * certificate, both from the same tree at each step. Then `burrow forget --keep-last 1 --prune`
 * and `restic forget --keep-last 1 --prune` (both with the 5% unused default) are timed, with the
 * repository's bytes on disk before and after. Afterwards `burrow check` must pass and one
 * snapshot must be left.
 *
 * Usage: deno run -A scripts/bench/lifecycle.ts [--out DIR] [--quick] [--no-restic]
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
import { type CliRun, lastErrorLine, runTimed, withScratch } from "./_bench_process.ts";
import { addUsers, type BurrowServer, runClient, withServer } from "./_bench_server.ts";
import { resticAvailable, type ResticRun, withResticRepo } from "./_bench_restic.ts";

const options = parseBenchArgs(Deno.args, ["no-restic"]);
/** Also with --quick: the target is set for this history, and fewer pushes leave less to prune. */
const PUSHES = 10;
const DATA = Deno.env.get("BENCH_DATA") ?? "/tmp/burrow-bench-data";
const ANCHORS = new URL("./anchors/", import.meta.url).pathname;
const USER = "life";
const result = newResult("lifecycle");

/** What one tool's forget and prune measured. */
interface Figures {
  run: CliRun;
  before: number;
  after: number;
}

/** Bytes of the regular files under `dir`. */
async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) total += await dirBytes(path);
    else if (entry.isFile) total += (await Deno.lstat(path)).size;
  }
  return total;
}

async function run(argv: string[], what: string, env: Record<string, string> = {}) {
  const done = await runTimed(argv, { env, timeoutMs: 30 * 60_000 });
  if (done.code !== 0) throw new Error(`${what} failed: ${lastErrorLine(done)}`);
  return done;
}

/** Changes the tree in place as the anchors' incremental step does, with the seed of `step`. */
async function mutate(tree: string, step: number): Promise<void> {
  const js = (await hasNode()) ? ["node"] : [Deno.execPath(), "run", "-A"];
  await run([...js, `${ANCHORS}lib/gen-mixed.mjs`, "mutate", tree], `mutate step ${step}`, {
    BENCH_SEED: `burrow-bench-v1-lifecycle-${step}`,
  });
}

async function hasNode(): Promise<boolean> {
  try {
    return (await new Deno.Command("node", { args: ["--version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

/** Backs the tree up `PUSHES` times with burrow (and restic), changing it between backups. */
async function history(server: BurrowServer, tree: string, restic: ResticRun | null) {
  for (let step = 1; step <= PUSHES; step++) {
    if (step > 1) await mutate(tree, step);
    progress(`push ${step}/${PUSHES}`);
    const push = await runClient(server, USER, ["push", tree]);
    if (push.code !== 0) throw new Error(`push ${step} failed: ${lastErrorLine(push)}`);
    await restic?.(["backup", tree]);
  }
}

/** burrow's forget and prune, with what its prune reported (`prune --json`). */
interface BurrowFigures extends Figures {
  prune: {
    bytesFreed: number;
    seconds: number;
    packsBefore: number;
    packsAfter: number;
    packsDeleted: number;
    packsRewritten: number;
  };
}

async function burrowForget(server: BurrowServer): Promise<BurrowFigures> {
  const repos = `${server.dataDir}/repos`;
  const before = await dirBytes(repos);
  progress("burrow forget --keep-last 1 --prune");
  const forget = await runClient(server, USER, ["forget", "--keep-last", "1", "--prune", "--json"]);
  if (forget.code !== 0) throw new Error(`burrow forget failed: ${lastErrorLine(forget)}`);
  const prune = JSON.parse(forget.stdout).prune;
  const after = await dirBytes(repos);
  const check = await runClient(server, USER, ["check"]);
  if (check.code !== 0) {
    fail(result, `burrow check after the prune failed: ${lastErrorLine(check)}`);
  }
  const left = await runClient(server, USER, ["snapshots", "--json"]);
  if (left.code !== 0 || JSON.parse(left.stdout).length !== 1) {
    fail(result, "burrow did not leave exactly one snapshot");
  }
  return { run: forget, before, after, prune };
}

async function resticForget(scratch: string, restic: ResticRun): Promise<Figures> {
  const repo = `${scratch}/restic-repo`;
  const before = await dirBytes(repo);
  progress("restic forget --keep-last 1 --prune");
  const forget = await restic(["forget", "--keep-last", "1", "--prune"]);
  return { run: forget, before, after: await dirBytes(repo) };
}

function addRows(burrow: BurrowFigures, restic: Figures | null): void {
  const s = (f: Figures) => f.run.wallMs / 1000;
  const r = (value: number | undefined) => (value === undefined ? {} : { restic: round(value, 2) });
  const freedMiB = (f: Figures) => (f.before - f.after) / MiB;
  const step = `forget --keep-last 1 --prune after ${PUSHES} pushes of mixed`;
  result.rows.push(
    {
      label: `${step}: wall`,
      value: round(s(burrow), 2),
      unit: "s",
      ...r(restic === null ? undefined : s(restic)),
      ...(restic === null ? {} : { target: "≤ 1.0× restic", met: s(burrow) <= s(restic) }),
    },
    {
      label: `${step}: freed on disk`,
      value: round(freedMiB(burrow)),
      unit: "MiB",
      ...r(restic === null ? undefined : freedMiB(restic)),
    },
    {
      label: `${step}: freed as the prune reports it`,
      value: round(burrow.prune.bytesFreed / MiB),
      unit: "MiB",
    },
    {
      label: `${step}: of the wall, the prune (live set, server's deletes and rewrites)`,
      value: round(burrow.prune.seconds, 2),
      unit: "s",
    },
    {
      label: `${step}: repository after`,
      value: round(burrow.after / MiB),
      unit: "MiB",
      ...r(restic === null ? undefined : restic.after / MiB),
    },
    {
      label: `${step}: client peak RSS`,
      value: round((burrow.run.peakRssKiB ?? NaN) / 1024),
      unit: "MiB",
      ...r(restic === null ? undefined : (restic.run.peakRssKiB ?? NaN) / 1024),
    },
  );
  const p = burrow.prune;
  result.notes.push(
    `burrow's prune: ${p.packsBefore} packs before, ${p.packsAfter} after (${p.packsDeleted} deleted, ${p.packsRewritten} rewritten).`,
  );
}

async function measure(scratch: string): Promise<void> {
  try {
    await Deno.stat(`${DATA}/mixed`);
  } catch {
    progress(`making the datasets in ${DATA}`);
    await run(["bash", `${ANCHORS}datasets.sh`], "datasets.sh");
  }
  const tree = `${scratch}/mixed`;
  progress(`copying ${DATA}/mixed`);
  await run(["cp", "-a", `${DATA}/mixed`, tree], "cp");
  const useRestic = !options.flags.has("no-restic") && (await resticAvailable());
  await withServer(scratch, async (server) => {
    await addUsers(server, [USER]);
    if (!useRestic) {
      await history(server, tree, null);
      addRows(await burrowForget(server), null);
      return;
    }
    await withResticRepo(scratch, server, async (restic) => {
      await history(server, tree, restic);
      const burrow = await burrowForget(server);
      addRows(burrow, await resticForget(scratch, restic));
    });
  });
}

await runBench(
  options,
  result,
  () => withScratch("burrow-bench-lifecycle-", measure),
  [
    `A copy of the ~1 GiB \`mixed\` tree backed up ${PUSHES} times by burrow (one real \`burrow serve\` on 127.0.0.1, one user) and by restic (\`rclone serve restic\` over TLS with burrow's certificate), from the same tree at each step; between steps the tree is changed with \`gen-mixed.mjs mutate\` (~5% of the files appended to, changed in the middle, deleted or added; a new seed per step).`,
    "Then each tool keeps the last snapshot and prunes with its defaults (repack packs more than 5% unused): `burrow forget --keep-last 1 --prune` and `restic forget --keep-last 1 --prune`, one process each, timed (start-up and login included). Freed on disk is the repository folder's bytes before minus after; burrow check passes after its prune.",
  ],
);
