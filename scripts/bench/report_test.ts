/**
 * Tests of the benchmark report's pure logic: medians, ratios, targets, FAILED cells and the
 * extra scripts' results. No benchmark runs here.
 *
 * @module
 */
import assert from "node:assert/strict";
import { extraSection, parseExtra, parseStatus } from "./report.ts";
import {
  anchorRows,
  type AnchorsFile,
  type Cell,
  formatTarget,
  median,
  meets,
  ratio,
  type StepSample,
} from "./anchors/table.ts";

const MiB = 1024 * 1024;
const ok = (median: number): Cell => ({ ok: true, median, min: median, max: median, n: 1 });

function sample(rep: number, wall: number, stored: number, exit = 0): StepSample {
  return {
    rep,
    exit,
    wall_s: wall,
    max_rss_kib: 200 * 1024,
    server_rss_kib: 250 * 1024,
    stored_bytes: stored * MiB,
    data_bytes: 1000 * MiB,
  };
}

/** Two repetitions of every step; burrow's full push takes `fullWall` (s) in rep 1 and 2. */
function anchors(tool: string, fullWall: [number, number], fullExit = 0): AnchorsFile["results"] {
  const steps: [string, number, number][] = [
    ["init", 0.3, 0],
    ["backup-full", 0, 850],
    ["backup-incr", 3, 875],
    ["backup-nochange", 1, 875],
    ["restore", 12, 875],
    ["real-init", 0.3, 0],
    ["real-v1", 1, 6],
    ["real-v2", 1, 9],
  ];
  return steps.map(([step, wall, stored]) => ({
    tool,
    step,
    samples: [1, 2].map((rep) =>
      step === "backup-full"
        ? sample(rep, fullWall[rep - 1]!, stored, rep === 2 ? fullExit : 0)
        : sample(rep, wall, stored)
    ),
  }));
}

const verified = (tool: string, contentOk = 2) => ({
  tool,
  runs: 2,
  content_ok: contentOk,
  metadata_ok: 2,
});

Deno.test("median() takes the middle value, or the mean of the two middle ones", () => {
  assert.deepEqual(median([3, 1, 2]), 2);
  assert.deepEqual(median([4, 1, 3, 2]), 2.5);
});

Deno.test("ratio() divides by restic and is null where restic is 0 and burrow is not", () => {
  assert.deepEqual(ratio(8, 10), 0.8);
  assert.deepEqual(ratio(0, 0), 1);
  assert.deepEqual(ratio(1, 0), null);
});

Deno.test("meets() checks ratio targets and their aim, and absolute targets on burrow alone", () => {
  const target = { kind: "ratio", max: 1.0, aim: 0.8 } as const;
  assert.deepEqual(meets(target, ok(9), ok(10)), { met: true, aim: false });
  assert.deepEqual(meets(target, ok(7), ok(10)), { met: true, aim: true });
  assert.deepEqual(meets({ kind: "ratio", max: 0.6 }, ok(7), ok(10)), { met: false });
  assert.deepEqual(meets({ kind: "absolute", max: 300, unit: "MiB" }, ok(301), ok(50)), {
    met: false,
  });
  assert.deepEqual(meets(target, { ok: false, reason: "x" }, ok(10)), { met: false });
  assert.deepEqual(meets(target, ok(1), { ok: false, reason: "x" }), { met: false });
});

Deno.test("formatTarget() writes ratios with one decimal at least", () => {
  assert.deepEqual(formatTarget({ kind: "ratio", max: 1, aim: 0.8 }), "≤ 1.0 (aim 0.8)");
  assert.deepEqual(formatTarget({ kind: "ratio", max: 1.02 }), "≤ 1.02");
  assert.deepEqual(formatTarget({ kind: "absolute", max: 300, unit: "MiB" }), "≤ 300 MiB");
});

Deno.test("anchorRows() gives medians, ranges, ratios and targets per step", () => {
  const rows = anchorRows({
    results: [...anchors("burrow", [8, 10]), ...anchors("restic-rest", [12, 14])],
    verification: [verified("burrow"), verified("restic-rest")],
  });
  const full = rows.find((r) => r.label.startsWith("full push"))!;
  assert.deepEqual(full.burrow, { ok: true, median: 9, min: 8, max: 10, n: 2 });
  assert.deepEqual(full.ratio, 9 / 13);
  assert.deepEqual([full.met, full.aim], [true, true]);
  const stored = rows.find((r) => r.label.startsWith("stored"))!;
  assert.ok(stored.burrow.ok && stored.burrow.median === 0.85);
  const growth = rows.find((r) => r.label.startsWith("incremental growth"))!;
  assert.ok(growth.burrow.ok && growth.burrow.median === 25 && growth.met);
  const rss = rows.find((r) => r.label.startsWith("server peak RSS, restore"))!;
  assert.ok(rss.burrow.ok && rss.burrow.median === 250 && rss.met);
});

Deno.test("anchorRows() shows a failed step or an unverified restore as FAILED, not a figure", () => {
  const rows = anchorRows({
    results: [...anchors("burrow", [8, 10], 1), ...anchors("restic-rest", [12, 14])],
    verification: [verified("burrow"), verified("restic-rest", 1)],
  });
  const byLabel = (prefix: string) => rows.find((r) => r.label.startsWith(prefix))!;
  for (const prefix of ["full push", "incremental push", "restore", "stored after"]) {
    const row = byLabel(prefix);
    assert.deepEqual(row.burrow, { ok: false, reason: "backup-full failed" });
    assert.deepEqual([row.ratio, row.met], [null, false]);
  }
  assert.deepEqual(byLabel("restore").restic, { ok: false, reason: "restore did not verify" });
  assert.ok(byLabel("cross-version").burrow.ok);
});

Deno.test("parseExtra() keeps the optional fields and rejects a row without a value", () => {
  const good = {
    name: "big_file",
    ok: true,
    rows: [{ label: "push", value: 1.5, unit: "s", restic: 2, target: "≤ 1.0×", met: true }],
    notes: ["one"],
  };
  assert.deepEqual(parseExtra(good), good);
  assert.deepEqual(typeof parseExtra({ ...good, rows: [{ label: "push", unit: "s" }] }), "string");
  assert.deepEqual(typeof parseExtra({ date: "old format" }), "string");
});

Deno.test("extraSection() tells skipped, missing, failed and good runs apart", () => {
  const extra = { part: "bigfile", file: "big_file", title: "Big file" };
  const json = { name: "big_file", ok: true, rows: [], notes: [] };
  assert.deepEqual(extraSection(extra, "skipped", undefined).status, "not run");
  assert.deepEqual(extraSection(extra, "missing", undefined).status, "not run");
  assert.deepEqual(extraSection(extra, 1, undefined).status, "FAILED");
  assert.deepEqual(extraSection(extra, 1, json).status, "FAILED");
  assert.deepEqual(extraSection(extra, 0, { ...json, ok: false }).status, "FAILED");
  assert.deepEqual(extraSection(extra, 0, { date: "old format" }).status, "FAILED");
  assert.deepEqual(extraSection(extra, 0, json).status, "ok");
});

Deno.test("parseStatus() reads exit codes and states", () => {
  const states = parseStatus("anchors=0,login=skipped,bigfile=missing,concurrent=3");
  assert.deepEqual([...states], [["anchors", 0], ["login", "skipped"], ["bigfile", "missing"], [
    "concurrent",
    3,
  ]]);
});
