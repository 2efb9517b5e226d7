import assert from "node:assert/strict";
import { LoopLagMonitor } from "./loop_lag.ts";

Deno.test("LoopLagMonitor reports how long a busy loop kept its timer waiting", async () => {
  const reports: number[] = [];
  const monitor = new LoopLagMonitor((ms) => reports.push(ms), 5, 100);
  monitor.start();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const busyUntil = performance.now() + 80;
  while (performance.now() < busyUntil) {
    // Holds the event loop, as a long synchronous step would.
  }
  await new Promise((resolve) => setTimeout(resolve, 150));
  monitor.stop();
  assert.ok(reports.length >= 1, "a report every period");
  assert.ok(Math.max(...reports) >= 60, `worst lag ${Math.max(...reports)} ms after an 80 ms hold`);
});
