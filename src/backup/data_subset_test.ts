import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { chooseSubset, parseDataSubset, partOf } from "./data_subset.ts";

const wants = Array.from(
  { length: 1000 },
  () => ({ id: crypto.getRandomValues(new Uint8Array(32)) }),
);

Deno.test("parseDataSubset() reads N% and K/M and refuses anything else", () => {
  assert.deepEqual(parseDataSubset("12.5%"), { kind: "percent", percent: 12.5 });
  assert.deepEqual(parseDataSubset("100%"), { kind: "all" });
  assert.deepEqual(parseDataSubset("2/5"), { kind: "part", part: 2, parts: 5 });
  assert.deepEqual(parseDataSubset("1/1"), { kind: "all" });
  for (
    const bad of ["0%", "100.5%", "-1%", "%", "0/3", "4/3", "1/0", "1/2000000", "a/b", "", "5"]
  ) {
    assert.throws(() => parseDataSubset(bad), UsageError, bad);
  }
});

Deno.test("chooseSubset() parts K/M split the chunks without overlap, in order", () => {
  const parts = [1, 2, 3].map((part) => chooseSubset(wants, { kind: "part", part, parts: 3 }));
  assert.equal(parts.reduce((sum, p) => sum + p.length, 0), wants.length);
  for (const [i, part] of parts.entries()) {
    assert.ok(part.length > 250, `part ${i + 1} has ${part.length}`);
    assert.ok(part.every((want) => partOf(want.id, 3) === i + 1));
    assert.deepEqual(part, wants.filter((want) => part.includes(want)));
  }
});

Deno.test("chooseSubset() N% takes that share at random, at least one", () => {
  const tenth = chooseSubset(wants, { kind: "percent", percent: 10 });
  assert.equal(tenth.length, 100);
  assert.equal(new Set(tenth).size, 100);
  assert.notDeepEqual(tenth, chooseSubset(wants, { kind: "percent", percent: 10 }));
  assert.equal(chooseSubset(wants.slice(0, 3), { kind: "percent", percent: 1 }).length, 1);
  assert.equal(chooseSubset([], { kind: "percent", percent: 50 }).length, 0);
});
