import assert from "node:assert/strict";
import { isolatedTest } from "../../tests/_testing.ts";
import { BurrowError } from "../errors.ts";
import type { HashParams } from "./hash_params.ts";
import { HashPool } from "./hash_pool.ts";
import { hashSecret, verifySecret } from "./password_hash.ts";

const CHEAP: HashParams = { algorithm: "argon2id", memoryKiB: 64, iterations: 1, parallelism: 1 };
/** OWASP's Argon2id cost: a heavy job for each worker. */
const HEAVY: HashParams = {
  algorithm: "argon2id",
  memoryKiB: 19456,
  iterations: 2,
  parallelism: 1,
};
const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i);
const CRASHING_WORKER = new URL("./testdata/crashing_hash_worker.ts", import.meta.url);

function isBurrowError(code: string): (error: unknown) => boolean {
  return (error) => error instanceof BurrowError && error.code === code;
}

Deno.test("HashPool.verify() answers 20 concurrent verifies correctly", async () => {
  const pool = new HashPool();
  try {
    const phc = await hashSecret(SECRET, CHEAP);
    const wrong = SECRET.map((byte) => byte ^ 0xff);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => pool.verify(i % 2 === 0 ? SECRET : wrong, phc)),
    );
    assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i % 2 === 0));
  } finally {
    await pool.close();
  }
});

Deno.test("HashPool.hash() makes PHC strings that verify, and leaves the secret intact", async () => {
  const pool = new HashPool({ size: 1 });
  try {
    const secret = SECRET.slice();
    const phc = await pool.hash(secret, { algorithm: "scrypt", logN: 4, r: 8, p: 1 });
    assert.deepEqual(secret, SECRET);
    assert.ok(await verifySecret(SECRET, phc));
    assert.ok(await pool.verify(SECRET, phc));
  } finally {
    await pool.close();
  }
});

Deno.test("HashPool.verify() rejects malformed PHC strings with the original error type", async () => {
  const pool = new HashPool({ size: 1 });
  try {
    await assert.rejects(pool.verify(SECRET, "$argon2id$v=19$oops"), SyntaxError);
    await assert.rejects(pool.verify(SECRET, "$md5$x$y"), RangeError);
    await assert.rejects(pool.hash(SECRET, { ...CHEAP, memoryKiB: 1 }), RangeError);
    assert.ok(await pool.verify(SECRET, await hashSecret(SECRET, CHEAP)), "the worker survives");
  } finally {
    await pool.close();
  }
});

// How long the event loop stalls is measured by the bench (a loaded 2-core machine would make a
// timed assert here flaky); this test checks that the work is done and timers run meanwhile.
Deno.test("HashPool runs 8 OWASP-cost argon2id hashes while the event loop runs timers", async () => {
  const pool = new HashPool();
  // Warm up: worker start-up (module loading) is a one-off cost, not what this test checks.
  await Promise.all([pool.hash(SECRET, CHEAP), pool.hash(SECRET, CHEAP)]);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    const hashes = await Promise.all(
      Array.from({ length: 8 }, () => pool.hash(SECRET, HEAVY)),
    );
    assert.equal(new Set(hashes).size, 8);
    assert.ok(hashes.every((phc) => phc.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")));
    assert.ok(ticks > 0, "the event loop never ran a timer while the hashes ran");
  } finally {
    clearInterval(timer);
    await pool.close();
  }
});

isolatedTest(
  "HashPool replaces a crashed worker and rejects only its job",
  import.meta.url,
  /Uncaught \(in worker "burrow-hash"\) Error: Cannot continue: simulated worker crash/,
  async () => {
    const pool = new HashPool({ size: 1, workerUrl: CRASHING_WORKER });
    try {
      const phc = await pool.hash(SECRET, CHEAP);
      const crashed = pool.verify(SECRET, "crash");
      const queued = pool.verify(SECRET, phc);
      await assert.rejects(crashed, isBurrowError("INTERNAL"));
      assert.equal(await queued, true);
    } finally {
      await pool.close();
    }
  },
);

Deno.test("HashPool refuses jobs with code BUSY when the queue is full", async () => {
  const pool = new HashPool({ size: 1, maxQueue: 2 });
  try {
    const phc = await hashSecret(SECRET, CHEAP);
    const running = pool.verify(SECRET, phc);
    const waiting = [pool.verify(SECRET, phc), pool.verify(SECRET, phc)];
    await assert.rejects(pool.verify(SECRET, phc), isBurrowError("BUSY"));
    assert.deepEqual(await Promise.all([running, ...waiting]), [true, true, true]);
  } finally {
    await pool.close();
  }
});

Deno.test("HashPool.close() rejects running and queued jobs and later calls", async () => {
  const pool = new HashPool({ size: 1 });
  const jobs = [pool.hash(SECRET, HEAVY), pool.hash(SECRET, CHEAP)];
  await pool.close();
  for (const job of jobs) await assert.rejects(job, isBurrowError("BUSY"));
  await assert.rejects(pool.verify(SECRET, "$argon2id$x"), isBurrowError("BUSY"));
  await pool.close();
});

Deno.test("HashPool() refuses a size below one", () => {
  let error: unknown;
  try {
    new HashPool({ size: 0 });
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof RangeError);
});
