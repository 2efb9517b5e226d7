import assert from "node:assert/strict";
import { escapeHelp, escapeLabelValue, ExpositionWriter, formatValue } from "./_exposition.ts";

Deno.test("escapeLabelValue() escapes backslash, double quote and line feed, and nothing else", () => {
  assert.equal(escapeLabelValue("alice"), "alice");
  assert.equal(escapeLabelValue('a"b'), 'a\\"b');
  assert.equal(escapeLabelValue("a\\b"), "a\\\\b");
  assert.equal(escapeLabelValue("a\nb"), "a\\nb");
  assert.equal(escapeLabelValue('\\"\n'), '\\\\\\"\\n');
  assert.equal(escapeLabelValue("tab\there é {}=,"), "tab\there é {}=,");
});

Deno.test("escapeHelp() escapes backslash and line feed but not double quotes", () => {
  assert.equal(escapeHelp('say "hi"'), 'say "hi"');
  assert.equal(escapeHelp("a\\b\nc"), "a\\\\b\\nc");
});

Deno.test("formatValue() writes the format's names for NaN and the infinities", () => {
  assert.deepEqual([NaN, Infinity, -Infinity, 0, 42, 1.5, -3].map(formatValue), [
    "NaN",
    "+Inf",
    "-Inf",
    "0",
    "42",
    "1.5",
    "-3",
  ]);
});

Deno.test("ExpositionWriter.text() writes HELP, TYPE and samples, every line ending in a line feed", () => {
  const text = new ExpositionWriter()
    .family("jobs_total", "counter", "Jobs\nrun", [
      { labels: { result: "ok" }, value: 3 },
      { labels: { result: "failed" }, value: 0 },
    ])
    .family("up", "gauge", "Up", [{ value: 1 }])
    .family("empty", "gauge", "None yet", [])
    .text();
  assert.equal(
    text,
    [
      "# HELP jobs_total Jobs\\nrun",
      "# TYPE jobs_total counter",
      'jobs_total{result="ok"} 3',
      'jobs_total{result="failed"} 0',
      "# HELP up Up",
      "# TYPE up gauge",
      "up 1",
      "# HELP empty None yet",
      "# TYPE empty gauge",
      "",
    ].join("\n"),
  );
});

Deno.test("ExpositionWriter.family() writes a hostile label value as one line, quoted to its end", () => {
  const hostile = 'x"} 1\nevil_metric 666\n\\';
  const text = new ExpositionWriter().family("stored", "gauge", "Stored", [
    { labels: { user: hostile }, value: 7 },
  ]).text();
  const lines = text.trimEnd().split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[2], 'stored{user="x\\"} 1\\nevil_metric 666\\n\\\\"} 7');
});

Deno.test("ExpositionWriter.family() refuses names outside the grammar and a family written twice", () => {
  const writer = new ExpositionWriter();
  assert.throws(() => writer.family("1bad", "gauge", "h", []), RangeError);
  assert.throws(() => writer.family("bad-name", "gauge", "h", []), RangeError);
  assert.throws(
    () => writer.family("ok", "gauge", "h", [{ labels: { "bad-label": "v" }, value: 1 }]),
    RangeError,
  );
  assert.throws(
    () => writer.family("ok2", "gauge", "h", [{ labels: { __reserved: "v" }, value: 1 }]),
    RangeError,
  );
  writer.family("twice", "gauge", "h", []);
  assert.throws(() => writer.family("twice", "gauge", "h", []), RangeError);
});
