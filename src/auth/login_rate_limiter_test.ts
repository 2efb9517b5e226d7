import assert from "node:assert/strict";
import {
  type Attempt,
  type AttemptDecision,
  LoginRateLimiter,
  type LoginRateLimiterOptions,
} from "./login_rate_limiter.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

function limiter(options: LoginRateLimiterOptions = {}) {
  const clock = { now: 1_000_000 };
  const limits = new LoginRateLimiter({ now: () => clock.now, ...options });
  return { clock, limits };
}

/** Starts an attempt that must be allowed. */
async function start(limits: LoginRateLimiter, address: string, user: string): Promise<Attempt> {
  const decision = await limits.reserve(address, user);
  if (!decision.allowed) throw new Error(`refused: retry after ${decision.retryAfterMs} ms`);
  return decision.attempt;
}

async function fail(limits: LoginRateLimiter, times: number, address = "10.0.0.1", user = "alice") {
  for (let i = 0; i < times; i++) (await start(limits, address, user)).fail();
}

/** The wait an attempt is refused with, or 0 when it is allowed (and then released). */
async function waitOf(limits: LoginRateLimiter, address: string, user: string): Promise<number> {
  const decision = await limits.reserve(address, user);
  if (!decision.allowed) return decision.retryAfterMs;
  decision.attempt.release();
  return 0;
}

/** Which of `decisions` have resolved by now: their decision, or "waiting". */
async function settledSoFar(decisions: Promise<AttemptDecision>[]) {
  await new Promise((resolve) => setTimeout(resolve, 0));
  const waiting = Symbol("waiting");
  return await Promise.all(decisions.map((d) => Promise.race([d, Promise.resolve(waiting)])))
    .then((all) => all.map((d) => (d === waiting ? "waiting" : d as AttemptDecision)));
}

Deno.test("LoginRateLimiter.reserve() allows the first freeFailures failures", async () => {
  const { limits } = limiter();
  await fail(limits, 4);
  assert.equal(await waitOf(limits, "10.0.0.1", "alice"), 0);
  await fail(limits, 1);
  assert.deepEqual(await limits.reserve("10.0.0.1", "alice"), {
    allowed: false,
    retryAfterMs: 1000,
  });
});

Deno.test("LoginRateLimiter.reserve() lets freeFailures of 60 parallel guesses start; the rest wait, then are refused", async () => {
  const { limits } = limiter();
  const decisions = Array.from({ length: 60 }, () => limits.reserve("10.0.0.1", "alice"));
  const first = await settledSoFar(decisions);
  const started = first.flatMap((d) => (d !== "waiting" && d.allowed ? [d.attempt] : []));
  assert.equal(started.length, 5);
  assert.equal(first.filter((d) => d === "waiting").length, 55);
  for (const attempt of started) attempt.fail();
  for (const decision of await Promise.all(decisions.slice(5))) {
    assert.deepEqual(decision, { allowed: false, retryAfterMs: 1000 });
  }
});

Deno.test("LoginRateLimiter.reserve() lets 50 parallel logins that succeed all through", async () => {
  const { limits } = limiter();
  const logins = Array.from({ length: 50 }, async () => {
    (await start(limits, "10.0.0.1", "alice")).succeed();
  });
  await Promise.all(logins);
  assert.equal(limits.size, 0);
});

Deno.test("LoginRateLimiter.reserve() lets one attempt at a time run past the free failures", async () => {
  const { clock, limits } = limiter();
  await fail(limits, 5);
  clock.now += 1000;
  const first = await start(limits, "10.0.0.1", "alice");
  const second = limits.reserve("10.0.0.2", "alice");
  assert.deepEqual(await settledSoFar([second]), ["waiting"]);
  first.release();
  const decision = await second;
  assert.ok(decision.allowed);
  decision.attempt.fail();
  assert.deepEqual(await limits.reserve("10.0.0.3", "alice"), {
    allowed: false,
    retryAfterMs: 2000,
  });
});

Deno.test("LoginRateLimiter.reserve() doubles the per-user back-off up to 1 min", async () => {
  const { clock, limits } = limiter();
  await fail(limits, 4);
  const waits: number[] = [];
  for (let i = 0; i < 9; i++) {
    // A new address each time, so the address limit stays out of the way.
    await fail(limits, 1, `10.0.1.${i}`);
    waits.push(await waitOf(limits, "10.9.9.9", "alice"));
    clock.now += waits[i] ?? 0;
  }
  assert.deepEqual(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60].map((s) => s * 1000));
});

Deno.test("LoginRateLimiter.reserve() doubles the per-address back-off up to 15 min", async () => {
  const { clock, limits } = limiter();
  for (let i = 0; i < 19; i++) await fail(limits, 1, "10.0.0.1", `user${i}`);
  const waits: number[] = [];
  for (let i = 0; i < 14; i++) {
    await fail(limits, 1, "10.0.0.1", `other${i}`);
    waits.push(await waitOf(limits, "10.0.0.1", "nobody"));
    clock.now += waits[i] ?? 0;
  }
  const expected = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900].map((s) => s * 1000);
  assert.deepEqual(waits, expected);
});

Deno.test("LoginRateLimiter.reserve() counts down the wait and then allows", async () => {
  const { clock, limits } = limiter();
  await fail(limits, 5);
  clock.now += 1000;
  await fail(limits, 1);
  clock.now += 500;
  assert.deepEqual(await limits.reserve("10.0.0.1", "alice"), {
    allowed: false,
    retryAfterMs: 1500,
  });
  clock.now += 1500;
  assert.equal(await waitOf(limits, "10.0.0.1", "alice"), 0);
});

Deno.test("LoginRateLimiter.reserve() forgets failures after a quiet window", async () => {
  const { clock, limits } = limiter();
  await fail(limits, 4);
  clock.now += 15 * MINUTE;
  await fail(limits, 4);
  assert.equal(await waitOf(limits, "10.0.0.1", "alice"), 0);
  await fail(limits, 1);
  assert.ok(await waitOf(limits, "10.0.0.1", "alice") > 0);
});

Deno.test("LoginRateLimiter.reserve() limits a user across addresses, not other users", async () => {
  const { limits } = limiter();
  for (let i = 0; i < 5; i++) await fail(limits, 1, `10.0.0.${i}`);
  assert.ok(await waitOf(limits, "10.9.9.9", "alice") > 0);
  assert.equal(await waitOf(limits, "10.9.9.9", "bob"), 0);
});

Deno.test("LoginRateLimiter.reserve() limits an address across users, with a larger budget", async () => {
  const { limits } = limiter();
  for (let i = 0; i < 19; i++) await fail(limits, 1, "10.0.0.1", `user${i}`);
  assert.equal(await waitOf(limits, "10.0.0.1", "carol"), 0);
  await fail(limits, 1, "10.0.0.1", "user19");
  assert.ok(await waitOf(limits, "10.0.0.1", "carol") > 0);
  assert.equal(await waitOf(limits, "10.0.0.2", "carol"), 0);
});

Deno.test("LoginRateLimiter: a burst from one address delays the user elsewhere by 1 s at most", async () => {
  const { clock, limits } = limiter();
  const burst = Array.from({ length: 30 }, async () => {
    const decision = await limits.reserve("10.6.6.6", "alice");
    if (decision.allowed) decision.attempt.fail();
  });
  await Promise.all(burst);
  const wait = await waitOf(limits, "192.168.1.7", "alice");
  assert.ok(wait <= 1000, `waits ${wait} ms`);
  clock.now += wait;
  (await start(limits, "192.168.1.7", "alice")).succeed();
});

Deno.test("LoginRateLimiter: a known address skips the per-user back-off, not its own limit", async () => {
  const { clock, limits } = limiter();
  (await start(limits, "192.168.1.7", "alice")).succeed();
  clock.now += DAY;
  // The attacker keeps alice at the longest per-user back-off from many addresses.
  for (let i = 0; i < 20; i++) {
    await fail(limits, 1, `10.6.6.${i}`);
    clock.now += await waitOf(limits, "10.6.7.1", "alice");
  }
  await fail(limits, 1, "10.6.6.99");
  assert.equal(await waitOf(limits, "10.6.7.1", "alice"), 60_000);
  assert.equal(await waitOf(limits, "192.168.1.7", "alice"), 0);
  // Its own address limit still holds.
  for (let i = 0; i < 20; i++) (await start(limits, "192.168.1.7", "alice")).fail();
  assert.ok(await waitOf(limits, "192.168.1.7", "alice") > 0);
});

Deno.test("LoginRateLimiter: known addresses expire, and only the last few are kept", async () => {
  const { clock, limits } = limiter({ knownAddressesPerUser: 2 });
  for (const address of ["10.1.0.1", "10.1.0.2", "10.1.0.3"]) {
    (await start(limits, address, "alice")).succeed();
  }
  await fail(limits, 5, "10.6.6.6");
  assert.ok(await waitOf(limits, "10.1.0.1", "alice") > 0, "the oldest of three is forgotten");
  assert.equal(await waitOf(limits, "10.1.0.2", "alice"), 0);
  assert.equal(await waitOf(limits, "10.1.0.3", "alice"), 0);
  clock.now += 14 * DAY;
  await fail(limits, 5, "10.6.6.7");
  assert.ok(await waitOf(limits, "10.1.0.3", "alice") > 0, "known for 14 days only");
});

Deno.test("LoginRateLimiter: a success clears the user but not the address", async () => {
  const { clock, limits } = limiter({ addressFreeFailures: 5, maxUserBackoffMs: 500 });
  await fail(limits, 5);
  clock.now += 500;
  (await start(limits, "10.0.0.2", "alice")).succeed();
  // Five free failures again for alice; the address that failed is still backed off.
  await fail(limits, 4, "10.0.0.3");
  assert.equal(await waitOf(limits, "10.0.0.4", "alice"), 0);
  assert.ok(await waitOf(limits, "10.0.0.1", "bob") > 0);
});

Deno.test("LoginRateLimiter: a released attempt counts as nothing; settling twice does nothing", async () => {
  const { limits } = limiter();
  for (let i = 0; i < 10; i++) (await start(limits, "10.0.0.1", "alice")).release();
  assert.equal(limits.size, 0);
  const attempt = await start(limits, "10.0.0.1", "alice");
  attempt.fail();
  attempt.fail();
  attempt.succeed();
  await fail(limits, 3);
  assert.equal(await waitOf(limits, "10.0.0.1", "alice"), 0);
});

Deno.test("LoginRateLimiter.reserveAddress() counts only failures against the address", async () => {
  const { limits } = limiter();
  for (let i = 0; i < 50; i++) {
    const decision = await limits.reserveAddress("10.0.0.1");
    assert.ok(decision.allowed);
    decision.attempt.succeed();
  }
  assert.equal(limits.size, 0);
  const parallel = Array.from({ length: 30 }, () => limits.reserveAddress("10.0.0.1"));
  const first = await settledSoFar(parallel);
  const started = first.flatMap((d) => (d !== "waiting" && d.allowed ? [d.attempt] : []));
  assert.equal(started.length, 20);
  for (const attempt of started) attempt.fail();
  for (const decision of await Promise.all(parallel.slice(20))) {
    assert.equal(decision.allowed, false);
  }
  assert.ok(await waitOf(limits, "10.0.0.1", "alice") > 0);
});

Deno.test("LoginRateLimiter bounds memory", async () => {
  const { clock, limits } = limiter({ maxEntries: 100 });
  for (let i = 0; i < 1000; i++) await fail(limits, 1, `10.0.${i >> 8}.${i & 255}`, `user${i}`);
  assert.equal(limits.size, 200);
  // The newest keys survive; the oldest were dropped.
  assert.equal(await waitOf(limits, "10.0.3.231", "user999"), 0);
  await fail(limits, 4, "10.0.3.231", "user999");
  assert.ok(await waitOf(limits, "10.0.3.231", "user999") > 0);
  clock.now += 16 * MINUTE;
  await fail(limits, 1, "10.1.1.1", "zed");
  assert.equal(limits.size, 2);
});

Deno.test("LoginRateLimiter() refuses nonsensical options", () => {
  assert.throws(() => new LoginRateLimiter({ freeFailures: 0 }), RangeError);
  assert.throws(() => new LoginRateLimiter({ windowMs: Number.NaN }), RangeError);
  assert.throws(() => new LoginRateLimiter({ maxUserBackoffMs: -1 }), RangeError);
});
