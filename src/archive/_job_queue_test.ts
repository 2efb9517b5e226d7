import assert from "node:assert/strict";
import { JobQueue } from "./_job_queue.ts";

const MiB = 1024 * 1024;

Deno.test("JobQueue gives large files first, largest first, then batches in walk order", () => {
  const queue = new JobQueue();
  const sizes = [1, 20 * MiB, 3 * MiB, 2 * MiB, 9 * MiB, 5, 30 * MiB];
  sizes.forEach((size, ref) => queue.add({ ref, source: `f${ref}`, size }));
  assert.equal(queue.ready, true);
  const taken = [];
  for (let job = queue.take(); job !== undefined; job = queue.take()) taken.push(job.refs);
  assert.deepEqual(taken, [[6], [1], [4], [0, 2, 3]], "the partial batch waits for end()");
  queue.end();
  assert.deepEqual(queue.take()?.refs, [5]);
  assert.equal(queue.take(), undefined);
  assert.equal(queue.ended, true);
});

Deno.test("JobQueue batches at most 256 files", () => {
  const queue = new JobQueue();
  for (let ref = 0; ref < 300; ref++) queue.add({ ref, source: `f${ref}`, size: 10 });
  queue.end();
  assert.deepEqual([queue.take()?.paths.length, queue.take()?.paths.length], [256, 44]);
});

Deno.test("JobQueue.flush() makes the partial batch a job, and later files start another", () => {
  const queue = new JobQueue();
  queue.add({ ref: 0, source: "f0", size: 10 });
  assert.equal(queue.ready, false);
  queue.flush();
  assert.deepEqual(queue.take()?.refs, [0]);
  queue.add({ ref: 1, source: "f1", size: 10 });
  queue.end();
  assert.deepEqual([queue.take()?.refs, queue.ended], [[1], true]);
});
