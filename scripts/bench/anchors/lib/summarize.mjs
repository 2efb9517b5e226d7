// Turn raw benchmark samples (JSON lines) into medians: a JSON file and a Markdown table.
//
//   node summarize.mjs anchors RAW.jsonl META.json OUT.json OUT.md
//   node summarize.mjs limits  RAW.jsonl META.json OUT.json OUT.md
//
// anchors: a step that exited non-zero is counted as failed, left out of the medians and marked
// FAILED in the Markdown, as is a restore that did not verify.
// deno-lint-ignore-file no-console
import fs from "node:fs";

const [mode, rawPath, metaPath, outJson, outMd] = process.argv.slice(2);
const rows = fs.readFileSync(rawPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const meta = JSON.parse(fs.readFileSync(metaPath, "utf8"));

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const min = (xs) => Math.min(...xs);
const max = (xs) => Math.max(...xs);
const MiB = 1024 * 1024;
const f = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d));

/** Group rows by key(row), keeping first-seen order. */
function group(list, key) {
  const m = new Map();
  for (const r of list) {
    const k = key(r);
    if (!m.has(k)) m.set(k, []);
    m.get(k).push(r);
  }
  return m;
}

function anchors() {
  const steps = rows.filter((r) => r.step);
  const checks = rows.filter((r) => r.verify);
  const label = (r) => (r.dataset === "real" && r.step === "init" ? "real-init" : r.step);
  const metrics = [
    "wall_s",
    "cpu_s",
    "max_rss_kib",
    "server_cpu_s",
    "server_rss_kib",
    "stored_bytes",
    "sync_s",
  ];
  const results = [];
  for (const [, rs] of group(steps, (r) => `${r.tool}|${label(r)}`)) {
    for (const r of rs) r.cpu_s = +(r.user_s + r.sys_s).toFixed(2);
    const ok = rs.filter((r) => r.exit === 0);
    const res = {
      tool: rs[0].tool,
      step: label(rs[0]),
      n: rs.length,
      failed: rs.length - ok.length,
      data_bytes: rs[0].data_bytes,
      median: {},
      min: {},
      max: {},
    };
    for (const k of metrics) {
      const xs = ok.map((r) => r[k]).filter((x) => Number.isFinite(x)); // sync_s: null where none ran
      res.median[k] = median(xs);
      res.min[k] = xs.length ? min(xs) : null;
      res.max[k] = xs.length ? max(xs) : null;
    }
    res.mib_per_s = res.data_bytes && res.median.wall_s
      ? res.data_bytes / MiB / res.median.wall_s
      : null;
    res.samples = rs;
    results.push(res);
  }
  const verification = [...group(checks, (c) => c.tool)].map(([tool, cs]) => ({
    tool,
    runs: cs.length,
    content_ok: cs.filter((c) => c.content_ok).length,
    metadata_ok: cs.filter((c) => c.metadata_ok).length,
    samples: cs,
  }));
  fs.writeFileSync(
    outJson,
    JSON.stringify({ kind: "anchors", ...meta, results, verification }, null, 2) + "\n",
  );

  const md = [];
  md.push(
    `Machine: ${meta.machine.cpu}, ${meta.machine.cores} cores, ${
      (meta.machine.mem_kib / MiB).toFixed(0)
    } GiB, ` +
      `${meta.machine.os}; load at start ${meta.machine.loadavg_at_start}; ${meta.machine.date}. ` +
      `Versions: ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(", ")}. ` +
      `Median of ${meta.machine.reps} runs (min–max in brackets). Page cache ${
        meta.cache ?? "not dropped"
      }. ` +
      `Order per repetition: ${
        (meta.order ?? []).map((o, i) => `${i + 1}: ${o.join(", ")}`).join("; ")
      }. ` +
      `Durability: ${
        Object.entries(meta.durability ?? {}).map(([k, v]) => `${k}: ${v}`).join("; ")
      }.`,
  );
  md.push("");
  md.push(
    "| tool | step | wall s | then sync -f s | source MiB/s | client CPU s | server CPU s | client peak RSS MiB | server peak RSS MiB | stored MiB after |",
  );
  md.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of results) {
    const m = r.median;
    const wall = `${f(m.wall_s, 2)} (${f(r.min.wall_s, 2)}–${f(r.max.wall_s, 2)})`;
    const fail = r.failed ? ` **FAILED ${r.failed}/${r.n}**` : "";
    md.push(
      `| ${r.tool} | ${r.step}${fail} | ${wall} | ${m.sync_s === null ? "" : f(m.sync_s, 2)} | ${
        r.step.includes("init") ? "" : f(r.mib_per_s)
      } | ${f(m.cpu_s, 2)} | ` +
        `${r.tool.endsWith("local") ? "" : f(m.server_cpu_s, 2)} | ${
          f(m.max_rss_kib / 1024, 0)
        } | ` +
        `${r.tool.endsWith("local") ? "" : f(m.server_rss_kib / 1024, 0)} | ${
          f(m.stored_bytes / MiB)
        } |`,
    );
  }
  md.push("");
  md.push("Deduplication and compression (medians of stored bytes):");
  md.push("");
  md.push(
    "| tool | mixed full: stored / source | mixed-v2 incr: MiB added | real v1: stored / source | real v2 on top: MiB added (of its size) | restores verified (content / modes+mtimes) |",
  );
  md.push("|---|---:|---:|---:|---:|---|");
  const get = (tool, step) => results.find((r) => r.tool === tool && r.step === step);
  for (const tool of [...new Set(results.map((r) => r.tool))]) {
    const full = get(tool, "backup-full"),
      incr = get(tool, "backup-incr"),
      init = get(tool, "init");
    const v1 = get(tool, "real-v1"), v2 = get(tool, "real-v2"), rinit = get(tool, "real-init");
    const v = verification.find((x) => x.tool === tool);
    const base = (x) => x?.median.stored_bytes ?? 0;
    md.push(
      `| ${tool} | ${full ? f((base(full) - base(init)) / full.data_bytes, 3) : "–"} | ` +
        `${incr ? f((base(incr) - base(full)) / MiB) : "–"} | ` +
        `${v1 ? f((base(v1) - base(rinit)) / v1.data_bytes, 3) : "–"} | ` +
        `${v2 ? `${f((base(v2) - base(v1)) / MiB)} (of ${f(v2.data_bytes / MiB)})` : "–"} | ` +
        `${v ? `${v.content_ok}/${v.runs} / ${v.metadata_ok}/${v.runs}` : "–"}` +
        `${v && (v.content_ok < v.runs || v.metadata_ok < v.runs) ? " **FAILED**" : ""} |`,
    );
  }
  fs.writeFileSync(outMd, md.join("\n") + "\n");
}

function limits() {
  const results = [];
  for (const [, rs] of group(rows, (r) => r.test)) {
    const xs = rs.map((r) => r.value);
    results.push({
      test: rs[0].test,
      unit: rs[0].unit,
      what: rs[0].what,
      n: rs.length,
      median: median(xs),
      min: min(xs),
      max: max(xs),
      samples: xs,
    });
  }
  fs.writeFileSync(outJson, JSON.stringify({ kind: "limits", ...meta, results }, null, 2) + "\n");
  const md = [];
  md.push(
    `Machine: ${meta.machine.cpu}, ${meta.machine.cores} cores, ${meta.machine.os}; load at start ` +
      `${meta.machine.loadavg_at_start}; ${meta.machine.date}. Versions: ` +
      `${
        Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(", ")
      }. Median of n runs (min–max).`,
  );
  md.push("");
  md.push("| test | what | median | min–max | unit | n |");
  md.push("|---|---|---:|---:|---|---:|");
  const d = (x) => (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);
  for (const r of results) {
    md.push(
      `| ${r.test} | ${(r.what ?? "").replaceAll("|", "\\|")} | ${f(r.median, d(r.median))} | ${
        f(r.min, d(r.min))
      }–${f(r.max, d(r.max))} | ${r.unit} | ${r.n} |`,
    );
  }
  fs.writeFileSync(outMd, md.join("\n") + "\n");
}

if (mode === "anchors") anchors();
else if (mode === "limits") limits();
else {
  console.error("usage: summarize.mjs anchors|limits RAW META OUT.json OUT.md");
  process.exit(2);
}
