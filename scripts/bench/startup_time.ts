/**
 * Where the wall time of a short command goes: `burrow snapshots` end to end against a real
 * `burrow serve` on 127.0.0.1 (one snapshot in the repository), beside what it is made of, each
 * the median of 10 runs, one process per run, the kinds of run taking turns:
 *
 * - the bare runtime: `deno run -A` of an empty module;
 * - the module graph: loading `src/cli/snapshots.ts` alone (what the command needs), `main.ts`
 *   (what every command loads today), and what each npm package that `main.ts` loads but
 *   `snapshots` does not (`@peculiar/x509` with `reflect-metadata`, `@zip.js/zip.js`,
 *   `tar-stream`) adds on top of `snapshots.ts`'s graph;
 * - `burrow --version` (start-up and module load, no work);
 * - the phases of one `snapshots`, timed inside its process by `_startup_probe.ts`: runtime up,
 *   module load, CA, TCP + TLS, hello, login (with the client's Argon2id), repository key, list,
 *   close; the rest of the wall time is process start before the runtime's clock and exit.
 *
 * Usage: deno run -A scripts/bench/startup_time.ts [--out DIR] [--quick]   (--quick: 3 runs)
 *
 * @module
 */
import { lastErrorLine, runTimed, withScratch } from "./_bench_process.ts";
import {
  type BenchRow,
  median,
  newResult,
  parseBenchArgs,
  progress,
  round,
  runBench,
} from "./_bench_result.ts";
import {
  addUsers,
  BENCH_PASSWORD,
  type BurrowServer,
  runClient,
  withServer,
} from "./_bench_server.ts";

const options = parseBenchArgs();
const result = newResult("startup_time");
const RUNS = options.quick ? 3 : 10;
const USER = "startup";
const PROBE = new URL("./_startup_probe.ts", import.meta.url).pathname;
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const SNAPSHOTS = "./src/cli/snapshots.ts";
const deno = (args: string[]) => [Deno.execPath(), "run", "-A", ...args];

/** One kind of run: how to start it and what to read from it (milliseconds by name). */
interface Probe {
  name: string;
  argv: string[];
  /** Reads the figures of one run; the process's wall time is always kept as "wall". */
  read?: (stdout: string) => Record<string, number>;
}

function probes(server: BurrowServer, empty: string): Probe[] {
  const json = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
  const imports = (name: string, modules: string[]): Probe => ({
    name,
    argv: deno([PROBE, "import", ...modules]),
    read: json,
  });
  const [_s, address, _c, caPath] = server.clientArgs(USER);
  return [
    { name: "empty module", argv: deno([empty]) },
    imports("load src/cli/snapshots.ts", [SNAPSHOTS]),
    imports("load main.ts", ["./main.ts"]),
    imports("load @peculiar/x509", [SNAPSHOTS, "reflect-metadata", "@peculiar/x509"]),
    imports("load @zip.js/zip.js", [SNAPSHOTS, "@zip.js/zip.js"]),
    imports("load tar-stream", [SNAPSHOTS, "tar-stream"]),
    { name: "burrow --version", argv: deno([MAIN, "--version"]) },
    { name: "phases", argv: deno([PROBE, "phases", address!, caPath!, USER]), read: json },
    {
      name: "burrow snapshots",
      argv: deno([MAIN, "snapshots", ...server.clientArgs(USER)]),
    },
  ];
}

/** Runs every probe RUNS times, the probes taking turns; figures by probe, then by name. */
async function sample(list: Probe[]): Promise<Map<string, Map<string, number[]>>> {
  const figures = new Map(list.map((p) => [p.name, new Map<string, number[]>()]));
  for (let run = 1; run <= RUNS; run++) {
    progress(`run ${run}/${RUNS}`);
    for (const probe of list) {
      const done = await runTimed(probe.argv, { env: { BURROW_PASSWORD: BENCH_PASSWORD } });
      if (done.code !== 0) throw new Error(`${probe.name} failed: ${lastErrorLine(done)}`);
      const values = { wall: done.wallMs, ...probe.read?.(done.stdout) };
      const byName = figures.get(probe.name)!;
      for (const [name, ms] of Object.entries(values)) {
        byName.set(name, [...(byName.get(name) ?? []), ms]);
      }
    }
  }
  return figures;
}

function rows(figures: Map<string, Map<string, number[]>>): BenchRow[] {
  const at = (probe: string, name: string) => median(figures.get(probe)?.get(name) ?? []);
  const ms = (label: string, value: number): BenchRow => ({
    label,
    value: round(value),
    unit: "ms",
  });
  const out = [
    ms("burrow snapshots, end to end: wall", at("burrow snapshots", "wall")),
    ms("burrow --version: wall", at("burrow --version", "wall")),
    ms("deno run of an empty module: wall", at("empty module", "wall")),
  ];
  for (const probe of ["load src/cli/snapshots.ts", "load main.ts"]) {
    const module = probe.slice("load ".length);
    out.push(ms(`module load, ${module} alone (in JS)`, at(probe, `./${module}`)));
  }
  for (const pkg of ["@peculiar/x509", "@zip.js/zip.js", "tar-stream"]) {
    const probe = `load ${pkg}`;
    const added = at(probe, "total in JS") - at(probe, "runtime") - at(probe, SNAPSHOTS);
    out.push(ms(`module load, ${pkg} on top of snapshots.ts (not needed by it)`, added));
  }
  const phases = figures.get("phases")!;
  for (const name of phases.keys()) {
    if (["wall", "snapshots listed", "total in JS"].includes(name)) continue;
    out.push(ms(`snapshots phase: ${name}`, at("phases", name)));
  }
  out.push(
    ms("snapshots phases: total in JS", at("phases", "total in JS")),
    ms(
      "snapshots phases: wall − time in JS (process start before the runtime's clock, exit)",
      at("phases", "wall") - at("phases", "total in JS"),
    ),
  );
  return out;
}

async function measure(scratch: string): Promise<void> {
  const empty = `${scratch}/empty.ts`;
  await Deno.writeTextFile(empty, "");
  const tree = `${scratch}/tree`;
  await Deno.mkdir(tree);
  await Deno.writeTextFile(`${tree}/a.txt`, "one small file\n");
  await withServer(scratch, async (server) => {
    await addUsers(server, [USER]);
    const push = await runClient(server, USER, ["push", tree, "--name", "tree"]);
    if (push.code !== 0) throw new Error(`push failed: ${lastErrorLine(push)}`);
    result.rows.push(...rows(await sample(probes(server, empty))));
  });
}

await runBench(options, result, () => withScratch("burrow-bench-startup-", measure), [
  `Each figure is the median of ${RUNS} runs, one process each; the kinds of run take turns. ` +
  "Module loads are timed inside the process (performance.now) from a module with no static " +
  "import, so they leave out the runtime's own start; walls include GNU time's fork.",
  "Phases are what `burrow snapshots` does, in one process: the login includes the client's " +
  "Argon2id (shown again on its own row) and the server's check of the auth key.",
]);
