import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { parseSize, quotaFlagValue } from "./size.ts";

Deno.test("parseSize() reads binary and decimal units, case-insensitive", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["1234", 1234],
    ["17B", 17],
    ["50GiB", 50 * 2 ** 30],
    ["50gib", 50 * 2 ** 30],
    ["500MB", 500_000_000],
    ["1.5TiB", 1.5 * 2 ** 40],
    ["1.5 KB", 1500],
    ["2KiB", 2048],
    ["3mib", 3 * 2 ** 20],
    ["1PiB", 2 ** 50],
    ["0.5B", 0],
    [" 7GB ", 7e9],
  ];
  for (const [text, bytes] of cases) assert.equal(parseSize(text), bytes, text);
});

Deno.test("parseSize() refuses what is not a size, with one line naming it", () => {
  for (
    const text of ["", "GiB", "-1GiB", "1e9", "5XB", "5 GiB B", "1.GiB", ".5GiB", "ten", "1,5GiB"]
  ) {
    assert.throws(
      () => parseSize(text),
      (error) =>
        error instanceof RangeError &&
        error.message === `Invalid size "${text}": expected a size like 50GiB, 500MB or 1.5TiB`,
      text,
    );
  }
  assert.throws(() => parseSize("9999999PiB"), /too large/);
});

Deno.test("quotaFlagValue() gives bytes, null for none, undefined when absent", () => {
  assert.equal(quotaFlagValue(undefined), undefined);
  assert.equal(quotaFlagValue("none"), null);
  assert.equal(quotaFlagValue("NONE"), null);
  assert.equal(quotaFlagValue("1KiB"), 1024);
  assert.throws(
    () => quotaFlagValue("lots"),
    (error) =>
      error instanceof UsageError &&
      error.message ===
        'Cannot use --quota "lots": expected a size like 50GiB, 500MB or 1.5TiB, or none',
  );
});
