import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { LoginRateLimiter, type LoginRateLimiterOptions } from "./login_rate_limiter.ts";

const MINUTE = 60_000;

function limiter(options: LoginRateLimiterOptions = {}) {
  const clock = { now: 1_000_000 };
  const limits = new LoginRateLimiter({ now: () => clock.now, ...options });
  return { clock, limits };
}

function fail(limits: LoginRateLimiter, times: number, address = "10.0.0.1", user = "alice") {
  for (let i = 0; i < times; i++) limits.recordFailure(address, user);
}

Deno.test("LoginRateLimiter.check() allows the first freeFailures failures", () => {
  const { limits } = limiter();
  fail(limits, 4);
  deepStrictEqual(limits.check("10.0.0.1", "alice"), { allowed: true });
  fail(limits, 1);
  deepStrictEqual(limits.check("10.0.0.1", "alice"), { allowed: false, retryAfterMs: 1000 });
});

Deno.test("LoginRateLimiter.check() doubles the back-off per failure up to 15 min", () => {
  const { clock, limits } = limiter();
  fail(limits, 4);
  const waits: number[] = [];
  for (let i = 0; i < 14; i++) {
    fail(limits, 1);
    const decision = limits.check("10.0.0.1", "alice");
    waits.push(decision.allowed ? 0 : decision.retryAfterMs);
    clock.now += waits[i] ?? 0;
  }
  const expected = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900].map((s) => s * 1000);
  deepStrictEqual(waits, expected);
});

Deno.test("LoginRateLimiter.check() counts down the wait and then allows", () => {
  const { clock, limits } = limiter();
  fail(limits, 6);
  clock.now += 500;
  deepStrictEqual(limits.check("10.0.0.1", "alice"), { allowed: false, retryAfterMs: 1500 });
  clock.now += 1500;
  deepStrictEqual(limits.check("10.0.0.1", "alice"), { allowed: true });
});

Deno.test("LoginRateLimiter.check() forgets failures after a quiet window", () => {
  const { clock, limits } = limiter();
  fail(limits, 4);
  clock.now += 15 * MINUTE;
  fail(limits, 4);
  deepStrictEqual(limits.check("10.0.0.1", "alice"), { allowed: true });
  fail(limits, 1);
  equal(limits.check("10.0.0.1", "alice").allowed, false);
});

Deno.test("LoginRateLimiter.check() keeps the count through a window of spaced failures", () => {
  const { clock, limits } = limiter();
  for (let i = 0; i < 5; i++) {
    fail(limits, 1);
    clock.now += 10 * MINUTE;
  }
  fail(limits, 1);
  deepStrictEqual(limits.check("10.0.0.1", "alice"), { allowed: false, retryAfterMs: 2000 });
});

Deno.test("LoginRateLimiter.check() limits a user across addresses", () => {
  const { limits } = limiter();
  for (let i = 0; i < 5; i++) limits.recordFailure(`10.0.0.${i}`, "alice");
  equal(limits.check("10.9.9.9", "alice").allowed, false);
  equal(limits.check("10.9.9.9", "bob").allowed, true);
});

Deno.test("LoginRateLimiter.check() limits an address across users, with a larger budget", () => {
  const { limits } = limiter();
  for (let i = 0; i < 19; i++) limits.recordFailure("10.0.0.1", `user${i}`);
  equal(limits.check("10.0.0.1", "carol").allowed, true);
  limits.recordFailure("10.0.0.1", "user19");
  equal(limits.check("10.0.0.1", "carol").allowed, false);
  equal(limits.check("10.0.0.2", "carol").allowed, true);
});

Deno.test("LoginRateLimiter.recordSuccess() clears the user but not the address", () => {
  const { limits } = limiter({ addressFreeFailures: 5 });
  fail(limits, 5);
  limits.recordSuccess("10.0.0.1", "alice");
  equal(limits.check("10.0.0.2", "alice").allowed, true);
  equal(limits.check("10.0.0.1", "bob").allowed, false);
});

Deno.test("LoginRateLimiter.recordFailure() bounds memory", () => {
  const { clock, limits } = limiter({ maxEntries: 100 });
  for (let i = 0; i < 1000; i++) limits.recordFailure(`10.0.${i >> 8}.${i & 255}`, `user${i}`);
  equal(limits.size, 100);
  // The newest keys survive; the oldest were dropped.
  equal(limits.check("10.0.3.231", "user999").allowed, true);
  fail(limits, 5, "10.0.3.231", "user999");
  equal(limits.check("10.0.3.231", "user999").allowed, false);
  clock.now += 16 * MINUTE;
  limits.recordFailure("10.1.1.1", "zed");
  equal(limits.size, 2);
});

Deno.test("LoginRateLimiter() refuses nonsensical options", () => {
  throws(() => new LoginRateLimiter({ freeFailures: 0 }), RangeError);
  throws(() => new LoginRateLimiter({ windowMs: Number.NaN }), RangeError);
});
