import assert from "node:assert/strict";
import fc from "fast-check";
import {
  applyPolicy,
  type DatedSnapshot,
  parseDuration,
  type RetentionPolicy,
} from "./retention.ts";

let next = 0;
function snap(time: string, set = "docs"): DatedSnapshot {
  return { id: (next++).toString(16).padStart(16, "0"), set, time };
}

function kept(snapshots: DatedSnapshot[], policy: RetentionPolicy): string[] {
  return applyPolicy(snapshots, policy).filter((d) => d.keep).map((d) => d.snapshot.time);
}

Deno.test("applyPolicy() keeps the newest N with keep-last, newest first", () => {
  const all = ["2024-01-01T10:00:00Z", "2024-01-03T10:00:00Z", "2024-01-02T10:00:00Z"].map((t) =>
    snap(t)
  );
  const decisions = applyPolicy(all, { last: 2 });
  assert.deepEqual(decisions.map((d) => [d.snapshot.time, d.keep, d.reasons]), [
    ["2024-01-03T10:00:00Z", true, ["last snapshot"]],
    ["2024-01-02T10:00:00Z", true, ["last snapshot"]],
    ["2024-01-01T10:00:00Z", false, []],
  ]);
});

Deno.test("applyPolicy() keeps the newest snapshot of each day, and the oldest while days are left", () => {
  const all = [
    "2024-03-01T08:00:00Z",
    "2024-03-01T20:00:00Z",
    "2024-03-02T09:00:00Z",
    "2024-03-02T07:00:00Z",
  ].map((t) => snap(t));
  assert.deepEqual(kept(all, { daily: 2 }), ["2024-03-02T09:00:00Z", "2024-03-01T20:00:00Z"]);
  // Three days asked, two exist: restic keeps the oldest snapshot too.
  const three = applyPolicy(all, { daily: 3 }).filter((d) => d.keep);
  assert.deepEqual(three.map((d) => d.snapshot.time), [
    "2024-03-02T09:00:00Z",
    "2024-03-01T20:00:00Z",
    "2024-03-01T08:00:00Z",
  ]);
  assert.deepEqual(three[2]!.reasons, ["oldest daily snapshot"]);
});

Deno.test("applyPolicy() counts weeks by ISO week across a year boundary", () => {
  // 2020-12-31 (Thursday) and 2021-01-03 (Sunday) are both in ISO week 2020-W53.
  const all = [
    "2020-12-28T12:00:00Z",
    "2020-12-31T12:00:00Z",
    "2021-01-03T12:00:00Z",
    "2021-01-04T12:00:00Z",
  ]
    .map((t) => snap(t));
  assert.deepEqual(kept(all, { weekly: 2 }), ["2021-01-04T12:00:00Z", "2021-01-03T12:00:00Z"]);
  assert.deepEqual(kept(all, { yearly: 5 }), [
    "2021-01-04T12:00:00Z",
    "2020-12-31T12:00:00Z",
    "2020-12-28T12:00:00Z",
  ]);
  assert.deepEqual(kept(all, { monthly: 1 }), ["2021-01-04T12:00:00Z"]);
});

Deno.test("applyPolicy() buckets hours in UTC and names every rule that kept a snapshot", () => {
  const all = ["2024-05-05T10:59:59Z", "2024-05-05T10:00:00Z", "2024-05-05T09:30:00+00:00"].map((
    t,
  ) => snap(t));
  const decisions = applyPolicy(all, { hourly: 2, last: 1 });
  assert.deepEqual(decisions.map((d) => d.reasons), [
    ["last snapshot", "hourly snapshot"],
    [],
    ["hourly snapshot"],
  ]);
});

Deno.test("applyPolicy() breaks ties of time by id, the same way every time", () => {
  const a = { id: "00000000000000aa", set: "s", time: "2024-01-01T00:00:00Z" };
  const b = { id: "00000000000000bb", set: "s", time: "2024-01-01T00:00:00Z" };
  for (const order of [[a, b], [b, a]]) {
    const decisions = applyPolicy(order, { last: 1 });
    assert.deepEqual(decisions.map((d) => [d.snapshot.id, d.keep]), [[b.id, true], [a.id, false]]);
  }
});

Deno.test("applyPolicy() keeps within a duration of the newest snapshot, by calendar", () => {
  const all = [
    "2024-03-31T12:00:00Z",
    "2024-02-29T12:00:01Z",
    "2024-02-29T12:00:00Z",
    "2023-01-01T00:00:00Z",
  ]
    .map((t) => snap(t));
  // One month before 2024-03-31 is 2024-02-31, which Date rolls to 2024-03-02 (as Go's AddDate).
  assert.deepEqual(kept(all, { within: parseDuration("1m") }), ["2024-03-31T12:00:00Z"]);
  assert.deepEqual(kept(all, { within: parseDuration("31d") }), [
    "2024-03-31T12:00:00Z",
    "2024-02-29T12:00:01Z",
  ]);
  assert.equal(kept(all, { within: parseDuration("2y") }).length, 4);
});

Deno.test("applyPolicy() applies the policy to each set alone", () => {
  const all = [
    snap("2024-01-01T00:00:00Z", "b"),
    snap("2024-01-02T00:00:00Z", "a"),
    snap("2024-01-03T00:00:00Z", "b"),
  ];
  const decisions = applyPolicy(all, { last: 1 });
  assert.deepEqual(decisions.map((d) => [d.snapshot.set, d.snapshot.time, d.keep]), [
    ["a", "2024-01-02T00:00:00Z", true],
    ["b", "2024-01-03T00:00:00Z", true],
    ["b", "2024-01-01T00:00:00Z", false],
  ]);
});

Deno.test("applyPolicy() refuses a policy without rules or with a count below 1", () => {
  assert.throws(() => applyPolicy([], {}), /no --keep-\* rule/);
  assert.throws(() => applyPolicy([], { last: 0 }), /whole number/);
  assert.throws(() => applyPolicy([], { daily: 1.5 }), /whole number/);
});

Deno.test("parseDuration() reads restic durations and refuses anything else", () => {
  assert.deepEqual(parseDuration("1y2m3d4h"), { years: 1, months: 2, days: 3, hours: 4 });
  assert.deepEqual(parseDuration("36h"), { years: 0, months: 0, days: 0, hours: 36 });
  for (const bad of ["", "1", "1w", "h", "2d1y", "-1d", "1.5d"]) {
    assert.throws(() => parseDuration(bad), RangeError, bad);
  }
});

const snapshotsArbitrary = fc.array(
  fc.record({
    id: fc.stringMatching(/^[0-9a-f]{16}$/),
    set: fc.constantFrom("a", "b", "c"),
    time: fc.integer({ min: 1_500_000_000_000, max: 1_800_000_000_000 }).map((ms) =>
      new Date(ms).toISOString()
    ),
  }),
  { maxLength: 40 },
);
const policyArbitrary: fc.Arbitrary<RetentionPolicy> = fc.record({
  last: fc.integer({ min: 1, max: 10 }),
  hourly: fc.integer({ min: 1, max: 10 }),
  daily: fc.integer({ min: 1, max: 10 }),
  weekly: fc.integer({ min: 1, max: 10 }),
  monthly: fc.integer({ min: 1, max: 10 }),
  yearly: fc.integer({ min: 1, max: 10 }),
}, { requiredKeys: [] }).filter((policy) => Object.keys(policy).length > 0);

Deno.test("applyPolicy() keeps the newest snapshot of every set whatever the rules (property)", () => {
  fc.assert(fc.property(snapshotsArbitrary, policyArbitrary, (snapshots, policy) => {
    const decisions = applyPolicy(snapshots, policy);
    assert.equal(decisions.length, snapshots.length);
    const first = new Set<string>();
    for (const decision of decisions) {
      if (first.has(decision.snapshot.set)) continue;
      first.add(decision.snapshot.set);
      assert.ok(decision.keep);
    }
    for (const d of decisions) assert.equal(d.keep, d.reasons.length > 0);
  }));
});

Deno.test("applyPolicy() with keep-last N keeps exactly min(N, count) per set (property)", () => {
  fc.assert(fc.property(snapshotsArbitrary, fc.integer({ min: 1, max: 50 }), (snapshots, n) => {
    const decisions = applyPolicy(snapshots, { last: n });
    for (const set of new Set(snapshots.map((s) => s.set))) {
      const count = snapshots.filter((s) => s.set === set).length;
      const keptCount = decisions.filter((d) => d.snapshot.set === set && d.keep).length;
      assert.equal(keptCount, Math.min(n, count));
    }
  }));
});
