import assert from "node:assert/strict";
import { fitLine, progressText } from "./progress.ts";

const STATE = {
  files: 120,
  bytes: 50 * 1024 * 1024,
  totalFiles: 400,
  totalBytes: 200 * 1024 * 1024,
  current: "photos/2026/summer holiday/very long file name of a picture.jpg",
};

Deno.test("progressText() shows percent, bytes, files, rate, ETA, elapsed time and the file", () => {
  const parts = progressText(STATE, 5);
  assert.deepEqual(parts.slice(0, 5), [
    " 25% 50.0/200.0 MiB",
    "120/400 files",
    "5.0 s elapsed",
    "ETA 15.0 s",
    "10.0 MiB/s",
  ]);
  assert.equal(parts[5], STATE.current);
});

Deno.test("fitLine() never passes the width: it drops what does not fit, cuts the file name", () => {
  const parts = progressText(STATE, 5);
  for (const columns of [20, 49, 79, 120, 400]) {
    const line = fitLine(parts, columns);
    assert.ok(line.length <= columns, `${line.length} > ${columns}: ${line}`);
    assert.ok(line.startsWith(" 25% 50.0/200.0 MiB"), line);
  }
  assert.match(fitLine(parts, 100), /MiB\/s {2}photos\/2.*….*picture\.jpg$/);
  assert.equal(fitLine(parts, 400).endsWith(STATE.current), true);
});
