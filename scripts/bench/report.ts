/**
 * The burrow-vs-restic benchmark report. Reads `results/anchors.json` (written by
 * `anchors/anchors.sh` through `anchors/lib/summarize.mjs`) and the extra scripts' JSON
 * (`login_latency.json`, `concurrent_push.json`, `big_file.json`, `million_chunks.json`,
 * `web_page.json`, `check_read_data.json`, `lifecycle.json`, `partial_restore.json`), prints one
 * Markdown report and
 * writes `results/bench.md` and `results/bench.json`. The main table's figures and targets are
 * in `anchors/table.ts`.
 *
 * The report opens with the run's conditions (`_report_conditions.ts`). Every figure is the median
 * over the repetitions, with min–max; targets are checked on medians.
 * A figure whose step failed in any repetition, or a restore that did not verify (content, modes
 * and mtimes), is shown as FAILED, never as a number, and makes the report exit 1. A target that is
 * not met is a finding, not a failure.
 *
 * Usage: deno run -A scripts/bench/report.ts [--results DIR] [--reps N] [--date ISO]
 *   [--load "1.02 0.80 0.61"] [--status anchors=0,login=skipped,concurrent=missing,bigfile=1,million=0]
 *
 * `--status` (from run.sh) gives each part's exit code, `skipped` (left out with --only) or
 * `missing` (no script); without it, every part whose JSON exists is reported.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { parseArgs } from "node:util";
import type { BenchRow } from "./_bench_result.ts";
import {
  anchorRows,
  type AnchorsFile,
  anchorsTable,
  mark,
  ratio,
  RESTORE_MARK,
  restoreNote,
  table,
} from "./anchors/table.ts";
import { conditionsLines, gatherConditions } from "./_report_conditions.ts";

/** One row of an extra script's results (written by `_bench_result.ts`). */
export type ExtraRow = BenchRow;

/** What an extra script writes to `DIR/<name>.json`. */
export interface ExtraResult {
  name: string;
  ok: boolean;
  rows: ExtraRow[];
  notes: string[];
}

/** The extra's JSON, checked for the expected shape, or a message saying what is wrong. */
export function parseExtra(v: unknown): ExtraResult | string {
  if (typeof v !== "object" || v === null) return "not a JSON object";
  const o = v as Record<string, unknown>;
  if (typeof o.name !== "string" || typeof o.ok !== "boolean") return "no name or ok";
  if (!Array.isArray(o.rows)) return "no rows";
  const notes = Array.isArray(o.notes) ? o.notes.map(String) : [];
  const rows: ExtraRow[] = [];
  for (const r of o.rows as unknown[]) {
    const x = (typeof r === "object" && r !== null ? r : {}) as Record<string, unknown>;
    if (typeof x.label !== "string" || typeof x.value !== "number" || typeof x.unit !== "string") {
      return `a row without label, value or unit: ${JSON.stringify(r)}`;
    }
    const row: ExtraRow = { label: x.label, value: x.value, unit: x.unit };
    if (typeof x.restic === "number") row.restic = x.restic;
    if (typeof x.target === "string") row.target = x.target;
    if (typeof x.met === "boolean") row.met = x.met;
    rows.push(row);
  }
  return { name: o.name, ok: o.ok, rows, notes };
}

/** How a part of the run ended, from run.sh: an exit code, "skipped" or "missing". */
export type State = number | "skipped" | "missing" | undefined;

/** An extra part's outcome: its rows where it ran, or why it did not. */
export interface ExtraSection {
  part: string;
  title: string;
  status: "ok" | "not run" | "FAILED";
  reason?: string;
  result?: ExtraResult;
}

const EXTRAS = [
  { part: "login", file: "login_latency", title: "Login latency" },
  { part: "concurrent", file: "concurrent_push", title: "Concurrent pushes" },
  { part: "bigfile", file: "big_file", title: "Big file" },
  { part: "million", file: "million_chunks", title: "A million chunks" },
  { part: "web", file: "web_page", title: "The web page" },
  { part: "check", file: "check_read_data", title: "Check and scrub" },
  { part: "lifecycle", file: "lifecycle", title: "Forget and prune" },
  { part: "restores", file: "partial_restore", title: "Everyday restores" },
];

/** Judges one extra from run.sh's state and its JSON (undefined where the file is absent). */
export function extraSection(
  extra: { part: string; file: string; title: string },
  state: State,
  json: unknown,
): ExtraSection {
  const base = { part: extra.part, title: extra.title };
  if (state === "skipped") return { ...base, status: "not run", reason: "left out with --only" };
  if (state === "missing") {
    return { ...base, status: "not run", reason: `scripts/bench/${extra.file}.ts does not exist` };
  }
  if (json === undefined) {
    return state === undefined
      ? { ...base, status: "not run", reason: `no ${extra.file}.json` }
      : { ...base, status: "FAILED", reason: `exit ${state}, no ${extra.file}.json` };
  }
  const result = parseExtra(json);
  if (typeof result === "string") {
    return { ...base, status: "FAILED", reason: `${extra.file}.json: ${result}` };
  }
  if (typeof state === "number" && state !== 0) {
    return { ...base, status: "FAILED", reason: `exit ${state}`, result };
  }
  if (!result.ok) {
    return { ...base, status: "FAILED", reason: "the script reported failure", result };
  }
  return { ...base, status: "ok", result };
}

// ---------------------------------------------------------------- Markdown

/** Whether an extra's row compares restore speed with restic's (its ratio gets the version note). */
export function isRestoreSpeed(row: ExtraRow): boolean {
  return row.restic !== undefined && /\b(pull|restore)\b/i.test(row.label) &&
    (row.unit === "s" || row.unit === "MiB/s");
}

/** One extra part as Markdown: its table, the note on restic's version where it applies, notes. */
export function extraLines(s: ExtraSection, resticVersion: string | undefined): string[] {
  const out = [`## ${s.title}`, ""];
  if (s.status !== "ok") {
    out.push(`${s.status === "FAILED" ? "**FAILED**" : "Not run"}: ${s.reason}.`, "");
  }
  if (s.result && s.result.rows.length > 0) {
    const g = (x: number) => String(Number(x.toPrecision(4)));
    out.push(
      ...table(
        ["measure", "burrow", "restic", "burrow/restic", "target", "met"],
        "lrrrll",
        s.result.rows.map((r) => {
          const q = r.restic === undefined ? null : ratio(r.value, r.restic);
          return [
            r.label,
            `${g(r.value)} ${r.unit}`,
            r.restic === undefined ? "" : `${g(r.restic)} ${r.unit}`,
            q === null ? "" : q.toFixed(2) + (isRestoreSpeed(r) ? ` ${RESTORE_MARK}` : ""),
            r.target ?? "",
            mark(r.met),
          ];
        }),
      ),
      "",
    );
    if (s.result.rows.some(isRestoreSpeed)) out.push(restoreNote(resticVersion), "");
  }
  for (const n of s.result?.notes ?? []) out.push(`- ${n}`);
  if (s.result?.notes.length) out.push("");
  return out;
}

// ---------------------------------------------------------------- the run

/** Parses run.sh's `--status anchors=0,login=skipped,...`. */
export function parseStatus(text: string): Map<string, State> {
  const states = new Map<string, State>();
  for (const item of text.split(",").filter(Boolean)) {
    const [part = "", value = ""] = item.split("=");
    const n = Number(value);
    if (value === "skipped" || value === "missing") states.set(part, value);
    else if (value !== "" && Number.isInteger(n)) states.set(part, n);
    else throw new TypeError(`Cannot parse --status: "${item}"`);
  }
  return states;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch {
    return `${path} is not JSON`;
  }
}

function isAnchors(v: unknown): v is AnchorsFile {
  const o = v as Partial<AnchorsFile> | undefined;
  return typeof o === "object" && o !== null && Array.isArray(o.results) &&
    Array.isArray(o.verification);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      results: { type: "string" },
      reps: { type: "string" },
      date: { type: "string" },
      status: { type: "string" },
      load: { type: "string" },
    },
  });
  const dir = values.results ?? new URL("./results", import.meta.url).pathname;
  const states = parseStatus(values.status ?? "");
  const failures: string[] = [];

  // Backup and restore against restic.
  const anchorsState = states.get("anchors");
  const anchorsJson = anchorsState === "skipped"
    ? undefined
    : await readJson(`${dir}/anchors.json`);
  const anchors = isAnchors(anchorsJson) ? anchorsJson : undefined;
  const conditions = await gatherConditions(anchors, {
    date: values.date ?? new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    reps: values.reps ?? String(anchors?.machine?.reps ?? "–"),
    ...(values.load ? { load: values.load } : {}),
  });
  const rows = anchors ? anchorRows(anchors) : [];
  const body: string[] = ["## Backup and restore", ""];
  if (anchors) {
    body.push(
      "burrow and restic (restic → `rclone serve restic`, TLS on 127.0.0.1) back up `mixed` " +
        "(1017 MiB, 20,054 files), then the same folder turned into `mixed-v2` (5% changed), then " +
        "unchanged; restore the last snapshot; then typescript 5.4.5 and 5.5.4 in a fresh " +
        "repository. Ratio targets are on burrow/restic, RSS targets on burrow's own peak; a " +
        "server's peak RSS is its peak since it started (VmHWM), up to the end of that step.",
      "",
      ...anchorsTable(rows),
      "",
      restoreNote(anchors.versions?.restic),
      "",
      "restic writes through `rclone serve restic`, which does not fsync; burrow fsyncs every " +
        'pack, index and snapshot record before `commit` returns. The rows "restic durable ' +
        "(+ sync -f)\" add to restic's wall time that of a `sync -f` of its repository's file " +
        "system right after the step (which also writes back anything else dirty on that file " +
        "system); they have no target.",
      "",
      "Restores verified (content / modes+mtimes): " +
        anchors.verification.map((v) =>
          `${v.tool} ${v.content_ok}/${v.runs} / ${v.metadata_ok}/${v.runs}`
        ).join(", ") + ".",
      "",
    );
    const reasons = new Set<string>();
    for (const r of rows) {
      if (!r.burrow.ok) reasons.add(`burrow: ${r.burrow.reason}`);
      if (!r.restic.ok) reasons.add(`restic: ${r.restic.reason}`);
    }
    for (const reason of reasons) failures.push(`backup and restore: ${reason}`);
    if (typeof anchorsState === "number" && anchorsState !== 0) {
      failures.push(`backup and restore: anchors.sh exited ${anchorsState}`);
    }
  } else if (anchorsState === "skipped") {
    body.push("Not run: left out with --only.", "");
  } else if (anchorsState === undefined && anchorsJson === undefined) {
    body.push("Not run: no anchors.json.", "");
  } else {
    const why = anchorsJson === undefined ? "no anchors.json" : "anchors.json not as expected";
    const exit = typeof anchorsState === "number" ? `exit ${anchorsState}, ` : "";
    body.push(`**FAILED**: ${exit}${why}.`, "");
    failures.push(`backup and restore: ${exit}${why}`);
  }

  // The extra scripts.
  const sections: ExtraSection[] = [];
  for (const extra of EXTRAS) {
    const state = states.get(extra.part);
    const json = state === "skipped" || state === "missing"
      ? undefined
      : await readJson(`${dir}/${extra.file}.json`);
    const section = extraSection(extra, state, json);
    sections.push(section);
    body.push(...extraLines(section, conditions.versions.restic));
    if (section.status === "FAILED") {
      failures.push(`${extra.title.toLowerCase()}: ${section.reason}`);
    }
  }

  const judged = [
    ...rows.map((r) => r.met),
    ...sections.flatMap((s) => s.result?.rows.map((r) => r.met) ?? []),
  ].filter((m) => m !== undefined);
  const met = judged.filter((m) => m).length;
  const summary = `**Targets met: ${met} of ${judged.length}.** ` +
    (failures.length === 0 ? "No failures." : `**FAILED**: ${failures.join("; ")}.`);

  const md = [
    "# burrow vs restic",
    "",
    ...conditionsLines(conditions),
    ...body,
    summary,
  ].join("\n") + "\n";

  console.log(md);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/bench.md`, md);
  const report = {
    date: conditions.date,
    conditions,
    reps: Number(conditions.reps) || null,
    anchors: { state: anchorsState ?? null, rows, verification: anchors?.verification ?? [] },
    extras: sections,
    targets: { met, total: judged.length },
    failures,
    ok: failures.length === 0,
  };
  await Deno.writeTextFile(`${dir}/bench.json`, JSON.stringify(report, null, 2) + "\n");
  return failures.length === 0 ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exitCode = await main();
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exitCode = e instanceof TypeError ? 2 : 1;
  }
}
