import assert from "node:assert/strict";
import { SignupLimiter } from "./signup_limiter.ts";

const MINUTE = 60_000;

function limiter(perHour: number, maxEntries?: number) {
  const clock = { now: 5_000_000 };
  const limits = new SignupLimiter({
    perHour,
    now: () => clock.now,
    ...(maxEntries === undefined ? {} : { maxEntries }),
  });
  return { clock, limits };
}

function signups(limits: SignupLimiter, count: number, address = "10.0.0.1"): number {
  let created = 0;
  for (let i = 0; i < count; i++) {
    const decision = limits.reserve(address);
    if (!decision.allowed) break;
    decision.attempt.succeed();
    created++;
  }
  return created;
}

Deno.test("SignupLimiter.reserve() allows perHour signups, then one every hour / perHour", () => {
  const { clock, limits } = limiter(5);
  assert.equal(signups(limits, 10), 5);
  assert.deepEqual(limits.reserve("10.0.0.1"), { allowed: false, retryAfterMs: 12 * MINUTE });
  assert.ok(limits.reserve("10.0.0.2").allowed, "other addresses are not affected");
  clock.now += 12 * MINUTE;
  assert.equal(signups(limits, 10), 1);
  clock.now += 60 * MINUTE;
  assert.equal(signups(limits, 10), 5);
});

Deno.test("SignupLimiter.reserve() counts signups in flight; a failed one gives its token back", () => {
  const { limits } = limiter(3);
  const parallel = Array.from({ length: 20 }, () => limits.reserve("10.0.0.1"));
  const started = parallel.flatMap((d) => (d.allowed ? [d.attempt] : []));
  assert.equal(started.length, 3);
  started[0]?.fail();
  started[1]?.release();
  started[2]?.succeed();
  started[2]?.release();
  assert.equal(signups(limits, 10), 2);
});

Deno.test("SignupLimiter bounds memory and forgets addresses whose bucket refilled", () => {
  const { clock, limits } = limiter(2, 50);
  for (let i = 0; i < 500; i++) signups(limits, 1, `10.0.${i >> 8}.${i & 255}`);
  assert.equal(limits.size, 50);
  clock.now += 60 * MINUTE;
  signups(limits, 1, "10.1.1.1");
  signups(limits, 1, "10.1.1.1");
  assert.equal(signups(limits, 1, "10.1.1.1"), 0);
  assert.equal(limits.size, 50);
  const refilled = limits.reserve("10.0.1.243");
  assert.ok(refilled.allowed);
  refilled.attempt.release();
  assert.equal(limits.size, 49);
});

Deno.test("SignupLimiter() refuses a quota that is not a positive integer", () => {
  assert.throws(() => new SignupLimiter({ perHour: 0 }), RangeError);
  assert.throws(() => new SignupLimiter({ perHour: 1.5 }), RangeError);
  assert.throws(() => new SignupLimiter({ perHour: 2_000_000 }), RangeError);
});
