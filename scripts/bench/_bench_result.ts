/**
 * What the end-to-end benchmarks share about their results: the `--out DIR` and `--quick`
 * flags, simple statistics, and the result file `DIR/<name>.json`
 * (`{ name, ok, rows: [{ label, value, unit, restic?, target?, met? }], notes }`) with its
 * Markdown table. A failed run keeps its figures but claims no target as met.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { parseArgs } from "node:util";

/** Bytes in one MiB. */
export const MiB = 1024 * 1024;

/** One figure of a benchmark. */
export interface BenchRow {
  label: string;
  value: number;
  unit: string;
  /** The same figure measured with restic, where the benchmark measured it. */
  restic?: number;
  /** The goal, in words (`p50 ≤ 200 ms`). */
  target?: string;
  met?: boolean;
}

/** The file a benchmark writes: `ok` is false when any operation or verification failed. */
export interface BenchResult {
  name: string;
  ok: boolean;
  rows: BenchRow[];
  notes: string[];
}

/** The flags every end-to-end benchmark takes. */
export interface BenchOptions {
  /** Folder for `<name>.json` (default scripts/bench/results). */
  out: string;
  /** Smaller inputs, for a smoke run. */
  quick: boolean;
  /** Which of the script's own boolean flags were given. */
  flags: ReadonlySet<string>;
}

/**
 * Reads `--out DIR`, `--quick` and the script's own boolean `extraFlags`.
 * @throws {TypeError} on an unknown flag
 */
export function parseBenchArgs(
  args: string[] = Deno.args,
  extraFlags: readonly string[] = [],
): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string", default: new URL("./results", import.meta.url).pathname },
      quick: { type: "boolean", default: false },
      ...Object.fromEntries(extraFlags.map((flag) => [flag, { type: "boolean" as const }])),
    },
  });
  const given = values as Record<string, unknown>;
  const flags = new Set(extraFlags.filter((flag) => given[flag] === true));
  return { out: String(values.out), quick: values.quick === true, flags };
}

/** The value at percentile `p` (nearest rank) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  ]!;
}

/** The median of `values` (upper median for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** Rounds for the JSON file: 3 significant decimals are more than the noise allows. */
export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** The message of anything thrown, on one line. */
export function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
}

/** A fresh result to fill in. */
export function newResult(name: string): BenchResult {
  return { name, ok: true, rows: [], notes: [] };
}

/** Marks `result` failed with a reason. */
export function fail(result: BenchResult, reason: string): void {
  result.ok = false;
  result.notes.push(`FAILED: ${reason}`);
}

/**
 * Prints the Markdown table of `result` and writes `OUT/<name>.json`. A row without a finite
 * value is dropped and fails the result; a failed result has every `met` set to false, so that
 * no figure of it reads as a success.
 */
export async function writeResult(options: BenchOptions, result: BenchResult): Promise<void> {
  const unmeasured = result.rows.filter((row) => !Number.isFinite(row.value));
  if (unmeasured.length > 0) {
    result.rows = result.rows.filter((row) => Number.isFinite(row.value));
    fail(result, `no value measured for: ${unmeasured.map((row) => row.label).join("; ")}`);
  }
  if (!result.ok) {
    for (const row of result.rows) if (row.target !== undefined) row.met = false;
  }
  const withRestic = result.rows.some((row) => row.restic !== undefined);
  const head = ["measure", "value", "unit", ...(withRestic ? ["restic"] : []), "target", "met"];
  const lines = [
    `### ${result.name}${result.ok ? "" : " — FAILED, figures not valid"}`,
    "",
    `| ${head.join(" | ")} |`,
    `|${head.map((_, i) => (i === 0 || i === 2 ? "---" : "---:")).join("|")}|`,
  ];
  for (const row of result.rows) {
    const cells = [
      row.label,
      String(row.value),
      row.unit,
      ...(withRestic ? [row.restic === undefined ? "" : String(row.restic)] : []),
      row.target ?? "",
      row.met === undefined ? "" : row.met ? "yes" : "no",
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  if (result.notes.length > 0) lines.push("", ...result.notes.map((note) => `- ${note}`));
  console.log(lines.join("\n"));
  await Deno.mkdir(options.out, { recursive: true });
  const path = `${options.out}/${result.name}.json`;
  await Deno.writeTextFile(path, JSON.stringify(result, null, 2) + "\n");
  console.log(`\nwrote ${path}`);
}

/** A progress line on stderr, so stdout holds only the table. */
export function progress(text: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`);
}

/**
 * The frame of every benchmark: runs `body`, records a throw as a failure, appends `notes`,
 * writes the result and exits with code 1 when it failed.
 */
export async function runBench(
  options: BenchOptions,
  result: BenchResult,
  body: () => Promise<void>,
  notes: string[],
): Promise<void> {
  try {
    await body();
  } catch (error) {
    fail(result, messageOf(error));
  }
  result.notes.push(...notes);
  await writeResult(options, result);
  if (!result.ok) Deno.exit(1);
}
