import assert from "node:assert/strict";
import { isolatedTest } from "../../tests/_testing.ts";
import { FIXED_GEAR_TABLE } from "../format/gear_table.ts";
import { ArchivePool, type ArchiveSink } from "./_archive_pool.ts";
import { JobQueue } from "./_job_queue.ts";

const KEYS = {
  idKey: new Uint8Array(32).fill(1),
  dataKey: new Uint8Array(32).fill(2),
  gear: FIXED_GEAR_TABLE,
};
const SINK: ArchiveSink = { chunks() {}, fileEnd() {}, replied() {} };

function queueOf(paths: string[]): JobQueue {
  const queue = new JobQueue();
  paths.forEach((source, ref) => queue.add({ ref, source, size: 1 }));
  queue.end();
  return queue;
}

isolatedTest(
  "ArchivePool.run() rejects with code INTERNAL when a worker crashes",
  import.meta.url,
  /Uncaught \(in worker "burrow-archive"\) Error: boom/,
  async () => {
    const crashing =
      "self.onmessage = (e) => { if (e.data.type === 'job') throw new Error('boom'); };";
    const pool = new ArchivePool({
      keys: KEYS,
      knownIds: [],
      upload: () => Promise.resolve(),
      workers: 2,
      maxInFlightBytes: 1024,
      workerUrl: `data:text/javascript,${encodeURIComponent(crashing)}`,
    });
    try {
      await assert.rejects(pool.run(queueOf(["/nonexistent"]), SINK), {
        code: "INTERNAL",
        message: /^Cannot archive: a worker crashed: .*boom/,
      });
    } finally {
      pool.close();
    }
  },
);

Deno.test("ArchivePool.run() starts no worker when there is nothing to read", async () => {
  let uploads = 0;
  const pool = new ArchivePool({
    keys: KEYS,
    knownIds: [new Uint8Array(5)], // invalid, but only read when a worker starts
    upload: () => Promise.resolve(void uploads++),
    workers: 2,
    maxInFlightBytes: 1024,
  });
  await pool.run(queueOf([]), SINK);
  pool.close();
  assert.deepEqual([uploads, pool.bytesSent, pool.bytesSealed], [0, 0, 0]);
});

Deno.test("ArchivePool rejects bad worker counts and in-flight limits", () => {
  const base = { keys: KEYS, knownIds: [], upload: () => Promise.resolve() };
  assert.throws(() => new ArchivePool({ ...base, workers: 0, maxInFlightBytes: 1 }), RangeError);
  assert.throws(() => new ArchivePool({ ...base, workers: 2, maxInFlightBytes: 0.5 }), RangeError);
});
