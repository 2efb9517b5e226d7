import assert from "node:assert/strict";
import { AcceptBackoff } from "./accept_backoff.ts";

const OPTIONS = { minDelayMs: 5, maxDelayMs: 1000, logEveryMs: 10_000 };

Deno.test("AcceptBackoff.failed() doubles the delay up to the cap; a success resets it", () => {
  const backoff = new AcceptBackoff(OPTIONS, () => 0);
  const delays = Array.from({ length: 10 }, () => backoff.failed().delayMs);
  assert.deepEqual(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
  backoff.succeeded();
  assert.equal(backoff.failed().delayMs, 5);
});

Deno.test("AcceptBackoff.failed() allows one log line per period and counts the rest", () => {
  let now = 1_000_000;
  const backoff = new AcceptBackoff(OPTIONS, () => now);
  assert.equal(backoff.failed().suppressed, 0, "the first failure is logged");
  for (let i = 0; i < 7; i++) {
    now += 1000;
    assert.equal(backoff.failed().suppressed, null);
  }
  now += 3000;
  assert.equal(backoff.failed().suppressed, 7, "the next line counts the 7 skipped");
  backoff.succeeded();
  assert.equal(backoff.failed().suppressed, null, "a success does not reopen the log");
});
