/**
 * One big file through a real `burrow serve` over TLS on 127.0.0.1: a 2 GiB file (quick:
 * 512 MiB) of unique incompressible bytes is pushed and pulled with the CLI, and so is a
 * 256 MiB one, to show that the client's memory does not grow with the file. Measures wall time
 * and MiB/s of each push and pull, the client's peak RSS (GNU time's %M of the deno process)
 * and the server's (VmHWM of its deno process); the pulled file is compared byte for byte with
 * `cmp`. Where restic and rclone are installed, restic backs up and restores the same files
 * through `rclone serve restic` over TLS (the same certificate) for the `restic` column.
 *
 * Usage: deno run -A scripts/bench/big_file.ts [--out DIR] [--quick] [--no-restic]
 *
 * @module
 */
import { writeRandomFile } from "./_bench_data.ts";
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
import {
  resticAvailable,
  type ResticFigures,
  type ResticMeasure,
  withRestic,
} from "./_bench_restic.ts";

const RSS_LIMIT_MiB = 300;
const FLAT_RATIO = 1.25;

const options = parseBenchArgs(Deno.args, ["no-restic"]);
const bigBytes = (options.quick ? 512 : 2048) * MiB;
const smallBytes = 256 * MiB;
const result = newResult("big_file");

/** What one file's push and pull measured. */
interface Figures {
  size: string;
  push: CliRun;
  pull: CliRun;
  serverPeakMiB: number;
  restic: ResticFigures | null;
}

const rssMiB = (run: CliRun) => (run.peakRssKiB ?? NaN) / 1024;
const speed = (bytes: number, run: CliRun) => bytes / MiB / (run.wallMs / 1000);

/** Writes a file of `bytes`, pushes it, pulls it back, compares, and deletes both copies. */
async function roundTrip(
  server: BurrowServer,
  scratch: string,
  bytes: number,
  restic: ResticMeasure | null,
): Promise<Figures> {
  const size = bytes >= 1024 * MiB ? `${bytes / 1024 / MiB} GiB` : `${bytes / MiB} MiB`;
  const set = `file${bytes / MiB}m`;
  const file = `${scratch}/${set}.bin`;
  const dest = `${scratch}/pulled-${set}`;
  progress(`writing ${size} of unique random bytes`);
  await writeRandomFile(file, bytes, `big_file ${bytes}`);
  try {
    progress(`push ${size}`);
    const push = await runClient(server, "big", ["push", file, "--name", set]);
    if (push.code !== 0) throw new Error(`push of ${size} failed: ${lastErrorLine(push)}`);
    progress(`pull ${size}`);
    const pull = await runClient(server, "big", ["pull", dest, "--name", set]);
    if (pull.code !== 0) throw new Error(`pull of ${size} failed: ${lastErrorLine(pull)}`);
    const serverPeakMiB = (peakRssKiB(server.pid) ?? NaN) / 1024;
    progress(`cmp ${size}`);
    if (!(await sameContent("cmp", file, `${dest}/${set}.bin`))) {
      fail(result, `the pulled ${size} file differs from the pushed one (cmp)`);
    }
    await Deno.remove(dest, { recursive: true });
    return { size, push, pull, serverPeakMiB, restic: restic === null ? null : await restic(file) };
  } finally {
    await Deno.remove(file).catch(() => {});
    await Deno.remove(dest, { recursive: true }).catch(() => {});
  }
}

/** Issue 19's limits on the big file's wall time, as a share of restic's in the same run. */
const BIG_LIMITS = { push: 0.55, pull: 0.6 };

function addRows(figures: Figures, bytes: number, limits?: typeof BIG_LIMITS): void {
  const { size, push, pull, restic } = figures;
  result.rows.push(
    ...stepRows(`push ${size}`, push, bytes, restic?.backupS, restic?.backupRssMiB, limits?.push),
    ...stepRows(`pull ${size}`, pull, bytes, restic?.restoreS, restic?.restoreRssMiB, limits?.pull),
  );
}

/** Wall time, speed and client peak RSS of one push or pull, with restic's where measured. */
function stepRows(
  step: string,
  run: CliRun,
  bytes: number,
  resticS: number | undefined,
  resticRssMiB: number | undefined,
  maxShare?: number,
) {
  const r = (value: number | undefined) => (value === undefined ? {} : { restic: round(value) });
  const wallS = run.wallMs / 1000;
  const limit = maxShare === undefined || resticS === undefined
    ? {}
    : { target: `≤ ${maxShare}× restic`, met: wallS <= maxShare * resticS };
  return [
    { label: `${step}: wall`, value: round(wallS, 2), unit: "s", ...r(resticS), ...limit },
    {
      label: step,
      value: round(speed(bytes, run)),
      unit: "MiB/s",
      ...r(resticS === undefined ? undefined : bytes / MiB / resticS),
    },
    {
      label: `${step}: client peak RSS`,
      value: round(rssMiB(run)),
      unit: "MiB",
      ...r(resticRssMiB),
      target: `≤ ${RSS_LIMIT_MiB} MiB`,
      met: rssMiB(run) <= RSS_LIMIT_MiB,
    },
  ];
}

function flatRow(what: "push" | "pull", big: Figures, small: Figures): void {
  const b = rssMiB(big[what]);
  const s = rssMiB(small[what]);
  const ratio = b / s;
  result.rows.push({
    label: `${what}: client RSS ${big.size} / ${small.size}`,
    value: round(ratio, 2),
    unit: "ratio",
    target: "≈ 1 (flat)",
    met: ratio <= FLAT_RATIO && b <= RSS_LIMIT_MiB && s <= RSS_LIMIT_MiB,
  });
}

/** Both files through burrow (and restic where it runs), then every row. */
async function measure(server: BurrowServer, scratch: string): Promise<void> {
  await addUsers(server, ["big"]);
  const useRestic = !options.flags.has("no-restic") && (await resticAvailable());
  const run = async (restic: ResticMeasure | null) => {
    const small = await roundTrip(server, scratch, smallBytes, restic);
    const big = await roundTrip(server, scratch, bigBytes, restic);
    return { small, big };
  };
  const { small, big } = useRestic ? await withRestic(scratch, server, run) : await run(null);
  addRows(small, smallBytes);
  addRows(big, bigBytes, BIG_LIMITS);
  flatRow("push", big, small);
  flatRow("pull", big, small);
  const serverPeak = Math.max(small.serverPeakMiB, big.serverPeakMiB);
  result.rows.push({
    label: "server peak RSS (VmHWM, whole run)",
    value: round(serverPeak),
    unit: "MiB",
    target: `≤ ${RSS_LIMIT_MiB} MiB`,
    met: serverPeak <= RSS_LIMIT_MiB,
  });
  result.notes.push(serverPidNote(server));
  result.notes.push(
    useRestic
      ? "restic column: restic 0.14 → `rclone serve restic` on 127.0.0.1 over TLS with burrow's own server certificate, fresh repository, defaults (zstd auto); backup and restore of the same file (restic's restore is checked by exit code only), wall time and GNU time's %M."
      : "restic was not measured (--no-restic, or restic or rclone is not installed).",
  );
  if (!hasGnuTime()) fail(result, "/usr/bin/time is missing: client peak RSS cannot be measured");
}

const big = `${bigBytes / MiB} MiB`;
await runBench(
  options,
  result,
  () =>
    withScratch(
      "burrow-bench-bigfile-",
      (scratch) => withServer(scratch, (server) => measure(server, scratch)),
    ),
  [
    `One real \`burrow serve\` (default flags) on 127.0.0.1 with its own TLS CA, one user; the files (${
      smallBytes / MiB
    } MiB, then ${big}) hold AES-256-CTR keystream bytes, unique and incompressible, written to /tmp just before (so reads come from the page cache) and deleted after.`,
    "Each push and pull is one `burrow` CLI process (start-up and login included); MiB/s is file bytes / wall time of that process. Client peak RSS is GNU time's %M of the deno process; server peak RSS is VmHWM of the deno process running `serve`.",
    `"Flat" is met when the ${big} file's client RSS is within ${FLAT_RATIO}× of the 256 MiB one's and both are ≤ ${RSS_LIMIT_MiB} MiB. The pulled file is compared with the original by cmp.`,
  ],
);
