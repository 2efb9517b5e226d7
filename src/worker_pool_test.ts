import assert from "node:assert/strict";
import { isolatedTest } from "../tests/_testing.ts";
import { BurrowError } from "./errors.ts";
import { type WorkerHandlers, WorkerPool } from "./worker_pool.ts";
import { settlesWithin, UNREADABLE_REPLY_WORKER } from "../tests/workers/fixtures.ts";

/** A worker module from source text. */
function moduleOf(source: string): string {
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

/** Answers each message with the message plus one; throws on "crash". */
const ECHO = moduleOf(
  "self.onmessage = (e) => { if (e.data === 'crash') throw new Error('boom'); " +
    "self.postMessage(e.data + 1); };",
);

/** Handlers that record what they are given, and a promise of the first failure. */
function recording() {
  const replies: number[] = [];
  const failures: BurrowError[] = [];
  const failed = Promise.withResolvers<BurrowError>();
  const replied = Promise.withResolvers<number>();
  const handlers: WorkerHandlers<number> = {
    message: (reply) => {
      replies.push(reply);
      replied.resolve(reply);
    },
    failure: (error) => {
      failures.push(error);
      failed.resolve(error);
    },
  };
  return { replies, failures, handlers, failed: failed.promise, replied: replied.promise };
}

function pool(url: string): WorkerPool<number | string, number> {
  return new WorkerPool({ url, name: "burrow-test", action: "run test jobs" });
}

Deno.test("WorkerPool.spawn() starts a worker whose replies reach its handler", async () => {
  const workers = pool(ECHO);
  try {
    const { handlers, replied, failures } = recording();
    workers.spawn(handlers).post(41);
    assert.equal(await settlesWithin(replied, 10_000), 42);
    assert.equal(workers.size, 1);
    assert.deepEqual(failures, []);
  } finally {
    workers.close();
  }
});

isolatedTest(
  "WorkerPool reports a crashed worker once, terminated, with code INTERNAL",
  import.meta.url,
  /Uncaught \(in worker "burrow-test"\) Error: boom/,
  async () => {
    const workers = pool(ECHO);
    try {
      const crashing = recording();
      const healthy = recording();
      workers.spawn(crashing.handlers).post("crash");
      workers.spawn(healthy.handlers);
      const error = await settlesWithin(crashing.failed, 10_000);
      assert.equal(error.code, "INTERNAL");
      assert.match(error.message, /^Cannot run test jobs: a worker crashed: .*boom/);
      assert.equal(workers.size, 1, "the crashed worker left the pool, the other stayed");
      assert.deepEqual(healthy.failures, []);
      assert.equal(crashing.failures.length, 1);
    } finally {
      workers.close();
    }
  },
);

Deno.test("WorkerPool reports a reply that cannot be read as the worker's failure", async () => {
  const workers = pool(UNREADABLE_REPLY_WORKER);
  try {
    const { handlers, failed, replies } = recording();
    workers.spawn(handlers).post(1);
    const error = await settlesWithin(failed, 10_000);
    assert.equal(error.code, "INTERNAL");
    assert.match(error.message, /^Cannot run test jobs: a worker's reply could not be read: /);
    assert.deepEqual(replies, []);
    assert.equal(workers.size, 0, "the worker was terminated");
  } finally {
    workers.close();
  }
});

Deno.test("WorkerPool.close() terminates every worker, is idempotent and refuses new ones", async () => {
  const workers = pool(ECHO);
  const first = recording();
  const worker = workers.spawn(first.handlers);
  worker.post(1);
  await settlesWithin(first.replied, 10_000);
  workers.close();
  workers.close();
  assert.equal(workers.size, 0);
  assert.ok(workers.closed);
  worker.post(2);
  worker.post("crash");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(first.replies, [2], "a terminated worker answers nothing");
  assert.deepEqual(first.failures, [], "and reports nothing");
  assert.throws(
    () => workers.spawn(recording().handlers),
    (error) => error instanceof BurrowError && /the workers were stopped/.test(error.message),
  );
});
