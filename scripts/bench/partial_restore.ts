/**
 * Everyday restores against restic in the same run: the `mixed` dataset (about 1 GiB, 20,000
 * files) is backed up once by each tool, then, timed, each restores the one file of it nearest
 * 1 MiB (`burrow pull --path` against `restic restore --include`) and lists the whole snapshot
 * (`burrow ls --recursive` against `restic ls`). Bytes fetched are what the server sent: burrow's
 * own count per connection (its log), and for restic what `rclone serve restic` wrote (`wchar`
 * of /proc/PID/io). Each step is one CLI process
 * (start-up, login and key derivation included); figures are medians of the repetitions.
 *
 * Usage: deno run -A scripts/bench/partial_restore.ts [--out DIR] [--quick]
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
import { type CliRun, lastErrorLine, sameContent, withScratch } from "./_bench_process.ts";
import { addUsers, type BurrowServer, runClient, withServer } from "./_bench_server.ts";
import { resticAvailable, startResticServer } from "./_bench_restic.ts";

const options = parseBenchArgs(Deno.args);
const reps = options.quick ? 1 : 3;
const dataset = `${Deno.env.get("BENCH_DATA") ?? "/tmp/burrow-bench-data"}/mixed`;
const result = newResult("partial_restore");

/** One timed step and the bytes the server wrote during it. */
interface Step {
  seconds: number;
  sentBytes: number;
  lines: number;
}

/** What a server sent during one run: `start` before it, `sent` after it. */
interface SentCounter {
  start(): void;
  sent(): Promise<number>;
}

/** Bytes `pid` wrote with write(2) and the like (rclone's sockets included). */
function wcharOf(pid: number): SentCounter {
  const read = () => {
    const io = Deno.readTextFileSync(`/proc/${pid}/io`);
    return Number(/^wchar: (\d+)$/m.exec(io)?.[1] ?? NaN);
  };
  let before = 0;
  return {
    start: () => void (before = read()),
    sent: () => Promise.resolve(read() - before),
  };
}

/**
 * Bytes burrow's server sent over the connections opened since `start`, from the `sent=` of its
 * "connection closed" log lines (Deno sends with sendmsg(2), which wchar does not count).
 */
function loggedSent(server: BurrowServer): SentCounter {
  const closed = () =>
    [...server.logTail().matchAll(/connection closed conn=(\d+) \S+ sent=(\d+)/g)]
      .map((m) => ({ conn: Number(m[1]), sent: Number(m[2]) }));
  let mark = 0;
  return {
    start: () => void (mark = Math.max(0, ...closed().map((c) => c.conn))),
    sent: async () => {
      const deadline = Date.now() + 5_000;
      while (!closed().some((c) => c.conn > mark) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return closed().filter((c) => c.conn > mark).reduce((sum, c) => sum + c.sent, 0);
    },
  };
}

/** Runs `command` `reps` times; the median seconds and bytes the server sent. */
async function timed(
  counter: SentCounter,
  what: string,
  command: () => Promise<CliRun>,
): Promise<Step> {
  const seconds: number[] = [];
  const sent: number[] = [];
  let lines = 0;
  for (let i = 0; i < reps; i++) {
    counter.start();
    const run = await command();
    if (run.code !== 0) throw new Error(`${what} failed: ${lastErrorLine(run)}`);
    sent.push(await counter.sent());
    seconds.push(run.wallMs / 1000);
    lines = run.stdout.split("\n").filter((line) => line !== "").length;
  }
  return { seconds: median(seconds), sentBytes: median(sent), lines };
}

/** The file of `root` whose size is nearest 1 MiB, as a path relative to `root`. */
async function fileNearOneMiB(root: string): Promise<{ path: string; size: number }> {
  let best = { path: "", size: 0 };
  const walk = async (rel: string) => {
    for await (const entry of Deno.readDir(rel === "" ? root : `${root}/${rel}`)) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile) {
        const { size } = await Deno.stat(`${root}/${path}`);
        if (Math.abs(size - MiB) < Math.abs(best.size - MiB)) best = { path, size };
      }
    }
  };
  await walk("");
  return best;
}

/** burrow: push the dataset, then restore the one file and list the snapshot, timed. */
async function measureBurrow(server: BurrowServer, scratch: string, file: string) {
  await addUsers(server, ["mixed"]);
  progress("burrow push mixed (not timed)");
  const push = await runClient(server, "mixed", ["push", dataset]);
  if (push.code !== 0) throw new Error(`push failed: ${lastErrorLine(push)}`);
  const dest = `${scratch}/burrow-one`;
  progress(`burrow pull --path ${file}`);
  const counter = loggedSent(server);
  const restore = await timed(counter, "pull --path", async () => {
    await Deno.remove(dest, { recursive: true }).catch(() => {});
    return await runClient(server, "mixed", ["pull", dest, "--path", file]);
  });
  if (!(await sameContent("cmp", `${dataset}/${file}`, `${dest}/mixed/${file}`))) {
    fail(result, "the file burrow restored differs from the original (cmp)");
  }
  progress("burrow ls --recursive");
  const list = await timed(
    counter,
    "ls",
    () => runClient(server, "mixed", ["ls", "--recursive"]),
  );
  return { restore, list };
}

/** restic through `rclone serve restic` over TLS with burrow's certificate: the same steps. */
async function measureRestic(server: BurrowServer, scratch: string, file: string) {
  const rclone = await startResticServer(scratch, server);
  const restic = rclone.run;
  try {
    for (const args of [["init"], ["backup", dataset]]) {
      progress(`restic ${args[0]} (not timed)`);
      const run = await restic(args);
      if (run.code !== 0) throw new Error(`restic ${args[0]} failed: ${lastErrorLine(run)}`);
    }
    const target = `${scratch}/restic-one`;
    progress(`restic restore --include ${file}`);
    const restore = await timed(wcharOf(rclone.pid), "restic restore", async () => {
      await Deno.remove(target, { recursive: true }).catch(() => {});
      return await restic([
        "restore",
        "latest",
        "--include",
        `${dataset}/${file}`,
        "--target",
        target,
      ]);
    });
    if (!(await sameContent("cmp", `${dataset}/${file}`, `${target}${dataset}/${file}`))) {
      fail(result, "the file restic restored differs from the original (cmp)");
    }
    progress("restic ls latest");
    const list = await timed(wcharOf(rclone.pid), "restic ls", () => restic(["ls", "latest"]));
    return { restore, list };
  } finally {
    await rclone.stop();
  }
}

/** A timed row with restic's figure and the ≤ 1.0× target. */
function timeRow(label: string, burrow: Step, restic: Step | undefined) {
  const ratio = restic === undefined ? NaN : burrow.seconds / restic.seconds;
  return {
    label,
    value: round(burrow.seconds, 2),
    unit: "s",
    ...(restic === undefined ? {} : { restic: round(restic.seconds, 2) }),
    target: "≤ 1.0× restic",
    met: ratio <= 1.0,
  };
}

async function measure(scratch: string): Promise<void> {
  const { path, size } = await fileNearOneMiB(dataset);
  if (path === "") throw new Error(`no file in ${dataset}: run scripts/bench/anchors/datasets.sh`);
  const sizeText = `${round(size / MiB, 2)} MiB`;
  await withServer(scratch, async (server) => {
    const burrow = await measureBurrow(server, scratch, path);
    const restic = (await resticAvailable())
      ? await measureRestic(server, scratch, path)
      : undefined;
    result.rows.push(
      timeRow(`restore one file (${sizeText}) of mixed: wall`, burrow.restore, restic?.restore),
      {
        label: "restore one file: bytes the server sent",
        value: round(burrow.restore.sentBytes / MiB, 2),
        unit: "MiB",
        ...(restic === undefined ? {} : { restic: round(restic.restore.sentBytes / MiB, 2) }),
        target: `≈ ${sizeText}, not the tree`,
        met: burrow.restore.sentBytes < size + 2 * MiB,
      },
      timeRow("ls --recursive of mixed: wall", burrow.list, restic?.list),
      {
        label: "ls --recursive of mixed: lines",
        value: burrow.list.lines,
        unit: "lines",
        ...(restic === undefined ? {} : { restic: restic.list.lines }),
      },
    );
    result.notes.push(
      `The file restored: mixed/${path} (${size} bytes), the one nearest 1 MiB.`,
      restic === undefined
        ? "restic was not measured: restic or rclone is not installed."
        : "restic column: restic → `rclone serve restic` on 127.0.0.1 over TLS with burrow's own server certificate, fresh repository, defaults, its local cache (filled by the backup) in use; `restic ls` prints the snapshot's whole tree, with a leading line for the snapshot.",
    );
  });
}

await runBench(options, result, () => withScratch("burrow-bench-restores-", measure), [
  `One real \`burrow serve\` (default flags) on 127.0.0.1 with its own TLS CA; the \`mixed\` dataset pushed once (not timed); each timed step is one CLI process, ${reps} repetition(s), medians.`,
  'Bytes the server sent: for burrow, the `sent=` of the server\'s "connection closed" log lines (frames, without TLS overhead); for restic, the growth of wchar in /proc/PID/io of `rclone serve restic` (its socket writes, TLS included) while the step ran.',
]);
