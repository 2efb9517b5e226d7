import assert from "node:assert/strict";
import { readGauges, ServerMetrics } from "./metrics.ts";

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const GAUGES = {
  sessionsOpen: 2,
  storedBytes: new Map([["bob", 5], ["alice", 9]]),
  residentBytes: 1,
};

Deno.test("ServerMetrics.sessionEnded() counts a pending push as failed, else a pull by how it ended", () => {
  const metrics = new ServerMetrics();
  metrics.pushFinished();
  metrics.sessionEnded({ pushPending: true, pulled: true, clean: true });
  metrics.sessionEnded({ pushPending: false, pulled: true, clean: true });
  metrics.sessionEnded({ pushPending: false, pulled: true, clean: false });
  metrics.sessionEnded({ pushPending: false, pulled: false, clean: true });
  const text = metrics.render(GAUGES);
  assert.equal(sample(text, 'burrow_pushes_total{result="finished"}'), 1);
  assert.equal(sample(text, 'burrow_pushes_total{result="failed"}'), 1);
  assert.equal(sample(text, 'burrow_pulls_total{result="finished"}'), 1);
  assert.equal(sample(text, 'burrow_pulls_total{result="failed"}'), 1);
});

Deno.test("ServerMetrics.render() writes logins, bytes, prunes and the gauges, users sorted", () => {
  const metrics = new ServerMetrics();
  metrics.login("ok");
  metrics.login("failed");
  metrics.login("failed");
  metrics.login("rate_limited");
  metrics.received(100);
  metrics.sent(30);
  metrics.sent(12);
  metrics.pruned(1000);
  metrics.pruned(24);
  metrics.pruned(null);
  const text = metrics.render(GAUGES);
  assert.equal(sample(text, 'burrow_logins_total{result="ok"}'), 1);
  assert.equal(sample(text, 'burrow_logins_total{result="failed"}'), 2);
  assert.equal(sample(text, 'burrow_logins_total{result="rate_limited"}'), 1);
  assert.equal(sample(text, "burrow_received_bytes_total"), 100);
  assert.equal(sample(text, "burrow_sent_bytes_total"), 42);
  assert.equal(sample(text, 'burrow_prune_runs_total{result="finished"}'), 2);
  assert.equal(sample(text, 'burrow_prune_runs_total{result="failed"}'), 1);
  assert.equal(sample(text, "burrow_prune_freed_bytes_total"), 1024);
  assert.equal(sample(text, "burrow_sessions_open"), 2);
  assert.equal(sample(text, "process_resident_memory_bytes"), 1);
  assert.match(
    text,
    /burrow_stored_bytes\{user="alice"\} 9\nburrow_stored_bytes\{user="bob"\} 5\n/,
  );
});

Deno.test("readGauges() reads each user's stored bytes, leaving out unknown ones, and the RSS", async () => {
  const gauges = await readGauges({
    sessions: { size: 3 },
    userNames: () => Promise.resolve(["alice", "bob", "carol"]),
    storedBytesOf: (user) => Promise.resolve(user === "bob" ? null : user.length),
  });
  assert.equal(gauges.sessionsOpen, 3);
  assert.deepEqual([...gauges.storedBytes], [["alice", 5], ["carol", 5]]);
  assert.ok(gauges.residentBytes > 0);
});
