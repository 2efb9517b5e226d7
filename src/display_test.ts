import assert from "node:assert/strict";
import { formatCount } from "./display.ts";

Deno.test("formatCount() puts a comma between groups of three digits, as toLocaleString('en') does", () => {
  for (const count of [0, 7, 999, 1000, 20_054, 999_999, 1_234_567, 9_007_199_254_740_991]) {
    assert.equal(formatCount(count), count.toLocaleString("en"), String(count));
  }
  assert.equal(formatCount(20_054), "20,054");
});
