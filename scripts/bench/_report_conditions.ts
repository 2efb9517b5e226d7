/**
 * The conditions at the top of the benchmark report: the versions that ran (burrow's commit, Deno,
 * restic, rclone), how durable each side's writes are, the page cache, which tool went first in
 * each repetition, and the machine with its load average at the start.
 *
 * `conditionsLines` is pure (tested in `report_test.ts`); `gatherConditions` reads what the run
 * recorded in `anchors.json` and asks the machine only for what the run did not record. A fact
 * that nothing recorded is printed as "not recorded", never guessed.
 *
 * @module
 */

/** The machine the run used. */
export interface Machine {
  cpu: string;
  cores: number;
  ram_gib: number;
  os: string;
}

/** Everything the report's header states. */
export interface Conditions {
  date: string;
  reps: string;
  machine: Machine;
  /** Load average when run.sh started, and when the timed backup part started (after its settle). */
  load: { run?: string; anchors?: string };
  /** burrow (a commit), deno, restic, rclone: each a version, "not installed" or "unknown". */
  versions: Record<string, string>;
  /** The command the backup part ran burrow with. */
  burrowCommand?: string;
  /** Per tool of the backup part: whether its writes are on disk when a step returns. */
  durability?: Record<string, string>;
  /** The page cache during the backup part: dropped or not, and how. */
  cache?: string;
  /** The tools of the backup part in the order they ran, one list per repetition. */
  order?: string[][];
}

/** The parts of `anchors.json` the header reads (written by anchors.sh through summarize.mjs). */
export interface AnchorsMeta {
  machine?: { reps?: number; loadavg_at_start?: string };
  versions?: Record<string, string>;
  burrow_command?: string;
  durability?: Record<string, string>;
  cache?: string;
  order?: string[][];
}

const NOT_RECORDED = "not recorded";

/** The header as Markdown lines: a "Conditions" section of one bullet per fact. */
export function conditionsLines(c: Conditions): string[] {
  const versions = ["burrow", "deno", "restic", "rclone"].map((tool) => {
    const v = c.versions[tool] ?? NOT_RECORDED;
    return tool === "burrow" && c.burrowCommand
      ? `burrow ${v} (run as \`${c.burrowCommand}\`)`
      : `${tool} ${v}`;
  });
  const perTool = (m: Record<string, string> | undefined) =>
    m && Object.keys(m).length > 0
      ? Object.entries(m).map(([tool, text]) => `${tool}: ${text}`).join("; ")
      : NOT_RECORDED;
  const order = c.order && c.order.length > 0
    ? c.order.map((tools, i) => `repetition ${i + 1}: ${tools.join(", then ")}`).join("; ")
    : NOT_RECORDED;
  const load = [
    c.load.run ? `${c.load.run} when the run started` : "",
    c.load.anchors ? `${c.load.anchors} when the backup part started` : "",
  ].filter(Boolean).join(", ") || NOT_RECORDED;
  const m = c.machine;
  return [
    "## Conditions",
    "",
    `- Date: ${c.date} (UTC). Repetitions: ${c.reps}; every figure is the median, min–max in ` +
    "brackets where there is more than one; targets are checked on the medians.",
    `- Versions: ${versions.join(", ")}.`,
    `- Durability (backup and restore): ${perTool(c.durability)}.`,
    `- Page cache (backup and restore): ${c.cache ?? NOT_RECORDED}.`,
    `- Order (backup and restore): ${order}. The other parts keep their own order.`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.ram_gib} GiB RAM, ${m.os}; load average ${load}.`,
    "",
  ];
}

/** What the run recorded, completed from this machine where it recorded nothing. */
export async function gatherConditions(
  anchors: AnchorsMeta | undefined,
  given: { date: string; reps: string; load?: string },
): Promise<Conditions> {
  const recorded = anchors?.versions ?? {};
  const versions = {
    burrow: recorded.burrow ?? await burrowCommit(),
    deno: recorded.deno ?? Deno.version.deno,
    restic: recorded.restic ?? await toolVersion("restic", ["version"]),
    rclone: recorded.rclone ?? await toolVersion("rclone", ["version"]),
  };
  const c: Conditions = {
    date: given.date,
    reps: given.reps,
    machine: await machine(),
    load: {},
    versions,
  };
  if (given.load) c.load.run = given.load;
  if (anchors?.machine?.loadavg_at_start) c.load.anchors = anchors.machine.loadavg_at_start;
  if (anchors?.burrow_command) c.burrowCommand = anchors.burrow_command;
  if (anchors?.durability) c.durability = anchors.durability;
  if (anchors?.cache) c.cache = anchors.cache;
  if (anchors?.order) c.order = anchors.order;
  return c;
}

async function output(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}

async function toolVersion(cmd: string, args: string[]): Promise<string> {
  const text = await output(cmd, args);
  return text === undefined ? "not installed" : text.split(/\s+/)[1] ?? "unknown";
}

/** This checkout's commit, "+changes" where tracked files differ from it. */
async function burrowCommit(): Promise<string> {
  const root = new URL("../..", import.meta.url).pathname;
  const commit = (await output("git", ["-C", root, "rev-parse", "--short=12", "HEAD"]))?.trim();
  if (!commit) return "unknown";
  const changes = await output("git", [
    "-C",
    root,
    "status",
    "--porcelain",
    "--untracked-files=no",
  ]);
  return changes?.trim() ? `${commit}+changes` : commit;
}

async function readText(path: string): Promise<string> {
  return await Deno.readTextFile(path).catch(() => "");
}

async function machine(): Promise<Machine> {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(await readText("/proc/cpuinfo"))?.[1];
  const os = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(await readText("/etc/os-release"))?.[1];
  return {
    cpu: cpu ?? Deno.build.arch,
    cores: navigator.hardwareConcurrency,
    ram_gib: Number((Deno.systemMemoryInfo().total / 1024 ** 3).toFixed(1)),
    os: `${os ?? Deno.build.os}, ${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`,
  };
}
