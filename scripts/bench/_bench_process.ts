/**
 * Child processes for the end-to-end benchmarks: timed runs with their peak RSS from GNU time
 * (`/usr/bin/time -f %M`), long-running daemons that are ready once their output matches, scratch
 * folders under /tmp, and readings of a running process's VmHWM and CPU time from /proc.
 *
 * Everything started here is tracked: on SIGINT or SIGTERM every tracked process is killed by
 * PID (with its children) and every scratch folder is removed before exiting, and
 * {@link withScratch} removes its folder on any other exit.
 *
 * @module
 */

const GNU_TIME = "/usr/bin/time";
const decoder = new TextDecoder();

const liveProcesses = new Set<number>();
/** Scratch folders and temp files to remove on an interrupt. */
const livePaths = new Set<string>();
let signalsHooked = false;

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  const onSignal = () => {
    for (const pid of liveProcesses) killTree(pid, "SIGKILL");
    for (const path of livePaths) {
      try {
        Deno.removeSync(path, { recursive: true });
      } catch {
        // Already gone.
      }
    }
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
}

/** The PIDs of the direct children of `pid` (empty when it has none or is gone). */
function childrenOf(pid: number): number[] {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`);
    return text.split(/\s+/).filter((s) => s !== "").map(Number);
  } catch {
    return [];
  }
}

/** Sends `signal` to `pid` and to its descendants (GNU time does not pass a kill on). */
function killTree(pid: number, signal: Deno.Signal): void {
  for (const child of childrenOf(pid)) killTree(child, signal);
  try {
    Deno.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Peak resident memory (VmHWM) of a running process in KiB, or null when it is gone. */
export function peakRssKiB(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return match === null ? null : Number(match[1]);
  } catch {
    return null;
  }
}

/** CPU time (user + system) a running process has used so far, in seconds; null when gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** The environment of a child: nothing of ours but what Deno needs, so no BURROW_* leaks in. */
function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/** Makes a scratch folder under /tmp, runs `body` with it, and always removes it. */
export async function withScratch<T>(
  prefix: string,
  body: (dir: string) => Promise<T>,
): Promise<T> {
  hookSignals();
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix });
  livePaths.add(dir);
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    livePaths.delete(dir);
  }
}

/** One finished CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak RSS of the deno process in KiB, from GNU time; null without /usr/bin/time. */
  peakRssKiB: number | null;
}

/** Options of {@link runTimed}. */
export interface CliOptions {
  env?: Record<string, string>;
  stdin?: string;
  /** Kill the run after this long (default 15 min); it then counts as failed (code 124). */
  timeoutMs?: number;
}

let gnuTime: boolean | undefined;

/** Whether GNU time is there to measure a child's peak RSS. */
export function hasGnuTime(): boolean {
  gnuTime ??= (() => {
    try {
      return Deno.statSync(GNU_TIME).isFile;
    } catch {
      return false;
    }
  })();
  return gnuTime;
}

/** Runs `argv` to completion, timed, under GNU time (for its peak RSS) when it is installed. */
export async function runTimed(argv: string[], options: CliOptions = {}): Promise<CliRun> {
  hookSignals();
  const rssFile = hasGnuTime() ? await Deno.makeTempFile({ prefix: "burrow-bench-rss-" }) : null;
  if (rssFile !== null) livePaths.add(rssFile);
  const full = rssFile === null ? argv : [GNU_TIME, "-f", "%M", "-o", rssFile, ...argv];
  const started = performance.now();
  const child = new Deno.Command(full[0]!, {
    args: full.slice(1),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: childEnv(options.env ?? {}),
    clearEnv: true,
  }).spawn();
  liveProcesses.add(child.pid);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killTree(child.pid, "SIGKILL");
  }, options.timeoutMs ?? 15 * 60_000);
  try {
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin));
      await writer.close();
    }
    const output = await child.output();
    const wallMs = performance.now() - started;
    let peak: number | null = null;
    if (rssFile !== null) {
      const text = (await Deno.readTextFile(rssFile)).trim().split("\n").at(-1) ?? "";
      peak = /^\d+$/.test(text) ? Number(text) : null;
    }
    return {
      code: timedOut ? 124 : output.code,
      stdout: decoder.decode(output.stdout),
      stderr: (timedOut ? "killed: timed out\n" : "") + decoder.decode(output.stderr),
      wallMs,
      peakRssKiB: peak,
    };
  } finally {
    clearTimeout(timer);
    liveProcesses.delete(child.pid);
    if (rssFile !== null) {
      await Deno.remove(rssFile).catch(() => {});
      livePaths.delete(rssFile);
    }
  }
}

/** The last non-empty line of a run's stderr, for a failure note. */
export function lastErrorLine(run: CliRun): string {
  return run.stderr.trim().split("\n").at(-1) ?? `exit code ${run.code}`;
}

/** A long-running process started by {@link startDaemon}. */
export interface Daemon {
  pid: number;
  /** The match of the ready pattern in its output. */
  ready: RegExpExecArray;
  /** The last 16 KiB it wrote (stdout and stderr together). */
  logTail(): string;
  /** SIGTERM, then SIGKILL after 30 s; resolves with the exit code. */
  stop(): Promise<number>;
}

/**
 * Starts `argv` and waits (up to 60 s) until its output, stdout and stderr together, matches
 * `ready`; keeps draining both so it never blocks on a full pipe. Stops it when it fails to start.
 */
export async function startDaemon(
  argv: string[],
  ready: RegExp,
  env: Record<string, string> = {},
): Promise<Daemon> {
  hookSignals();
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: childEnv(env),
    clearEnv: true,
  }).spawn();
  liveProcesses.add(child.pid);
  let log = "";
  let match: RegExpExecArray | null = null;
  let signalReady = () => {};
  const readyOrExit = new Promise<void>((resolve) => (signalReady = resolve));
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      log += text;
      if (match === null && (match = ready.exec(log)) !== null) signalReady();
      if (match !== null) log = log.slice(-16_384);
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  void child.status.then(signalReady);
  const stop = async (): Promise<number> => {
    killTree(child.pid, "SIGTERM");
    const hard = setTimeout(() => killTree(child.pid, "SIGKILL"), 30_000);
    const status = await child.status;
    clearTimeout(hard);
    await drained;
    liveProcesses.delete(child.pid);
    return status.code;
  };
  const deadline = setTimeout(signalReady, 60_000);
  await readyOrExit;
  clearTimeout(deadline);
  if (match === null) {
    await stop();
    throw new Error(`${argv.slice(0, 5).join(" ")} did not start: ${log.slice(-2000)}`);
  }
  return { pid: child.pid, ready: match, logTail: () => log, stop };
}

/** Compares two files (`cmp`) or two folders (`diff -r`): true when they are the same. */
export async function sameContent(command: "cmp" | "diff", a: string, b: string): Promise<boolean> {
  const args = command === "diff" ? ["-rq", a, b] : ["-s", a, b];
  const output = await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output();
  return output.success;
}
