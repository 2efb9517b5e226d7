/**
 * The main table of the burrow-vs-restic report, from `results/anchors.json`: one row per figure
 * (push and restore times, stored bytes, growth, peak memory), burrow against restic-rest, each a
 * median with min–max over the repetitions, the ratio burrow/restic and its target. Each push
 * also has a row against durable restic (its wall time plus the `sync -f` that follows it), with
 * no target: the targets stay on restic as it runs by default.
 *
 * A figure whose steps failed in any repetition (or a restore that did not verify) is a failed
 * cell with a reason, never a number. Pure: no I/O, so `report_test.ts` can check it.
 *
 * @module
 */
const MiB = 1024 * 1024;

/** One timed step of one tool in one repetition, as anchors.sh records it. */
export interface StepSample {
  rep: number;
  exit: number;
  wall_s: number;
  max_rss_kib: number;
  server_rss_kib: number;
  stored_bytes: number;
  data_bytes: number;
  /** Seconds of the `sync -f` that made the step durable; null or absent where none ran. */
  sync_s?: number | null;
}

/** The parts of `anchors.json` this report reads. */
export interface AnchorsFile {
  machine?: { reps?: number; loadavg_at_start?: string };
  versions?: Record<string, string>;
  burrow_command?: string;
  /** Per tool: whether what a step wrote is on disk when it returns. */
  durability?: Record<string, string>;
  cache?: string;
  /** The tools in the order they ran, one list per repetition. */
  order?: string[][];
  results: { tool: string; step: string; samples: StepSample[] }[];
  verification: {
    tool: string;
    runs: number;
    content_ok: number;
    metadata_ok: number;
  }[];
}

/** A limit on burrow's median: on the ratio burrow/restic, or on burrow's own value. */
export type Target =
  | { kind: "ratio"; max: number; aim?: number }
  | { kind: "absolute"; max: number; unit: string };

/** A median with its spread, or the reason there is no figure. */
export type Cell =
  | { ok: true; median: number; min: number; max: number; n: number }
  | { ok: false; reason: string };

/** One row of the main table. */
export interface Row {
  label: string;
  digits: number;
  burrow: Cell;
  restic: Cell;
  ratio: number | null;
  /** Absent on a row that is only a reference (the durable restic rows). */
  target?: Target;
  /** Absent where there is no target. */
  met?: boolean;
  /** Whether the aim (tighter than the target) is met, where the target has one. */
  aim?: boolean;
  /** The row compares restore speed, so its ratio carries the note on restic's version. */
  restore?: boolean;
}

/** The samples of one tool in one repetition, by step. */
export type Steps = Map<string, StepSample>;
/** How one row of the main table is computed from the samples, and its target. */
export interface Metric {
  label: string;
  digits: number;
  /** The steps the figure comes from; a failure in any of them leaves no figure. */
  needs: string[];
  /** The figure also needs a verified restore. */
  verified?: boolean;
  value: (s: Steps) => number;
  /** restic-rest's figure, where it is not computed as burrow's is. */
  resticValue?: (s: Steps) => number;
  target?: Target;
  /** The figure is a restore's speed (see `restoreNote`). */
  restore?: boolean;
}

const MIXED = ["init", "backup-full", "backup-incr", "backup-nochange", "restore"];
/** Peak RSS limits (issue 19): the client's full push and restore, the server's every step. */
const rssTarget = (side: "client" | "server", step: string): Target => ({
  kind: "absolute",
  max: side === "server" ? 200 : step === "backup-full" || step === "restore" ? 220 : 300,
  unit: "MiB",
});
const steps = (last: string): string[] => MIXED.slice(0, MIXED.indexOf(last) + 1);
const at = (s: Steps, step: string): StepSample => s.get(step)!;
const wall = (step: string) => (s: Steps): number => at(s, step).wall_s;
/** The wall time plus the `sync -f` after it; NaN (no figure) where no sync was timed. */
const durableWall = (step: string) => (s: Steps): number =>
  at(s, step).wall_s + (at(s, step).sync_s ?? NaN);
const growth = (from: string, to: string) => (s: Steps): number =>
  (at(s, to).stored_bytes - at(s, from).stored_bytes) / MiB;
const PUSHES: [string, string, Target][] = [
  ["full push", "backup-full", { kind: "ratio", max: 0.55, aim: 0.45 }],
  ["incremental push", "backup-incr", { kind: "ratio", max: 0.55, aim: 0.45 }],
  ["unchanged push", "backup-nochange", { kind: "ratio", max: 0.4, aim: 0.3 }],
  ["restore", "restore", { kind: "ratio", max: 0.7, aim: 0.5 }],
];

/** The main table's rows, in order. */
export const METRICS: Metric[] = [
  ...PUSHES.flatMap(([label, step, target]): Metric[] => {
    const time: Metric = {
      label: `${label}, s`,
      digits: 2,
      needs: steps(step),
      verified: step === "restore",
      value: wall(step),
      target,
      restore: step === "restore",
    };
    if (step === "restore") return [time];
    const durable = {
      label: `${label}, restic durable (+ sync -f), s`,
      digits: 2,
      needs: steps(step),
      value: wall(step),
      resticValue: durableWall(step),
    };
    return [time, durable];
  }),
  {
    label: "stored after full push, × source",
    digits: 3,
    needs: steps("backup-full"),
    value: (s) =>
      (at(s, "backup-full").stored_bytes - at(s, "init").stored_bytes) /
      at(s, "backup-full").data_bytes,
    target: { kind: "ratio", max: 1.02 },
  },
  {
    label: "incremental growth, MiB",
    digits: 1,
    needs: steps("backup-incr"),
    value: growth("backup-full", "backup-incr"),
    target: { kind: "ratio", max: 1.1 },
  },
  {
    label: "cross-version growth (real-v2 added), MiB",
    digits: 1,
    needs: ["real-init", "real-v1", "real-v2"],
    value: growth("real-v1", "real-v2"),
    target: { kind: "ratio", max: 1.1 },
  },
  ...(["client", "server"] as const).flatMap((side) =>
    PUSHES.map(([label, step]): Metric => ({
      label: `${side} peak RSS, ${label}, MiB`,
      digits: 1,
      needs: steps(step),
      verified: step === "restore",
      value: (s) =>
        (side === "client" ? at(s, step).max_rss_kib : at(s, step).server_rss_kib) / 1024,
      target: rssTarget(side, step),
    }))
  ),
];

/** The median of xs (the mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** burrow/restic, or null where it means nothing (restic at 0 and burrow not). */
export function ratio(burrow: number, restic: number): number | null {
  if (restic > 0) return burrow / restic;
  return burrow === 0 && restic === 0 ? 1 : null;
}

/** Whether burrow's median meets the target: `{ met, aim }` (aim undefined where there is none). */
export function meets(
  target: Target | undefined,
  burrow: Cell,
  restic: Cell,
): { met?: boolean; aim?: boolean } {
  if (target === undefined) return {};
  if (!burrow.ok) return { met: false };
  if (target.kind === "absolute") return { met: burrow.median <= target.max };
  const r = restic.ok ? ratio(burrow.median, restic.median) : null;
  if (r === null) return { met: false };
  return target.aim === undefined
    ? { met: r <= target.max }
    : { met: r <= target.max, aim: r <= target.aim };
}

/** The target as the report shows it: "≤ 1.0 (aim 0.8)", "≤ 300 MiB", "none" for a reference row. */
export function formatTarget(t: Target | undefined): string {
  if (t === undefined) return "none";
  const n = (x: number) => (Number.isInteger(x) && t.kind === "ratio" ? x.toFixed(1) : String(x));
  if (t.kind === "absolute") return `≤ ${n(t.max)} ${t.unit}`;
  return t.aim === undefined ? `≤ ${n(t.max)}` : `≤ ${n(t.max)} (aim ${n(t.aim)})`;
}

/** One tool's figure for one metric, or why there is none. */
export function cell(anchors: AnchorsFile, tool: string, metric: Metric): Cell {
  const byStep = new Map<string, StepSample[]>();
  for (const r of anchors.results) if (r.tool === tool) byStep.set(r.step, r.samples);
  if (byStep.size === 0) return { ok: false, reason: "not run" };
  for (const step of metric.needs) {
    const samples = byStep.get(step) ?? [];
    if (samples.length === 0) return { ok: false, reason: `no ${step}` };
    if (samples.some((s) => s.exit !== 0)) return { ok: false, reason: `${step} failed` };
  }
  if (metric.verified) {
    const v = anchors.verification.find((x) => x.tool === tool);
    if (!v || v.runs === 0) return { ok: false, reason: "restore not verified" };
    if (v.content_ok < v.runs || v.metadata_ok < v.runs) {
      return { ok: false, reason: "restore did not verify" };
    }
  }
  const reps = (byStep.get(metric.needs[0]!) ?? []).map((s) => s.rep);
  const values: number[] = [];
  for (const rep of reps) {
    const s: Steps = new Map();
    for (const step of metric.needs) {
      const sample = byStep.get(step)?.find((x) => x.rep === rep);
      if (!sample) return { ok: false, reason: `no ${step} in rep ${rep}` };
      s.set(step, sample);
    }
    const v = (tool === "restic-rest" && metric.resticValue || metric.value)(s);
    if (!Number.isFinite(v)) return { ok: false, reason: `no figure in rep ${rep}` };
    values.push(v);
  }
  return {
    ok: true,
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    n: values.length,
  };
}

/** The main table: burrow against restic-rest for every metric. */
export function anchorRows(anchors: AnchorsFile): Row[] {
  return METRICS.map((m) => {
    const burrow = cell(anchors, "burrow", m);
    const restic = cell(anchors, "restic-rest", m);
    const r = burrow.ok && restic.ok ? ratio(burrow.median, restic.median) : null;
    const row: Row = { label: m.label, digits: m.digits, burrow, restic, ratio: r };
    if (m.target) row.target = m.target;
    if (m.restore) row.restore = true;
    return { ...row, ...meets(m.target, burrow, restic) };
  });
}

/** Marks a ratio that the note from `restoreNote` qualifies. */
export const RESTORE_MARK = "†";

/**
 * The note beside every restore ratio: which restic it was measured against. Claims nothing
 * about other releases beyond that newer ones restore faster than 0.14.
 */
export function restoreNote(resticVersion: string | undefined): string {
  if (resticVersion === undefined) return `${RESTORE_MARK} restic's version was not recorded.`;
  const debian = resticVersion === "0.14.0" ? " (Debian 12's)" : "";
  const newer = resticVersion.startsWith("0.14.")
    ? "; newer restic releases restore faster, so this ratio holds against this release only"
    : "";
  return `${RESTORE_MARK} restic here is ${resticVersion}${debian}${newer}.`;
}

/** A Markdown table with padded columns: `align` has one letter per column, "r" aligns right. */
export function table(head: string[], align: string, rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const pad = (s: string, i: number) =>
    align[i] === "r" ? s.padStart(w[i] ?? 0) : s.padEnd(w[i] ?? 0);
  const line = (cells: string[]) => `| ${cells.map(pad).join(" | ")} |`;
  const rule = w.map((n, i) => (align[i] === "r" ? `${"-".repeat(n - 1)}:` : "-".repeat(n)));
  return [line(head), `| ${rule.join(" | ")} |`, ...rows.map(line)];
}

function formatCell(c: Cell, digits: number): string {
  if (!c.ok) return `FAILED (${c.reason})`;
  const f = (x: number) => x.toFixed(digits);
  return c.n > 1 ? `${f(c.median)} (${f(c.min)}–${f(c.max)})` : f(c.median);
}

/** ✓, ✗, or nothing where there is no target. */
export const mark = (
  met: boolean | undefined,
): string => (met === undefined ? "" : met ? "✓" : "✗");

/** The main table as Markdown lines. */
export function anchorsTable(rows: Row[]): string[] {
  return table(
    ["step", "burrow", "restic", "burrow/restic", "target", "met"],
    "lrrrll",
    rows.map((r) => [
      r.label,
      formatCell(r.burrow, r.digits),
      formatCell(r.restic, r.digits),
      (r.ratio === null ? "–" : r.ratio.toFixed(r.digits === 3 ? 3 : 2)) +
      (r.restore ? ` ${RESTORE_MARK}` : ""),
      formatTarget(r.target),
      mark(r.met) + (r.aim === undefined ? "" : ` (aim ${mark(r.aim)})`),
    ]),
  );
}
