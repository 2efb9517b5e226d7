import assert from "node:assert/strict";
import { isolatedTest } from "../../tests/_testing.ts";
import { fixedGearTable } from "../format/gear_table.ts";
import { createHmac } from "node:crypto";
import { IdSet } from "../format/id_set.ts";
import { ArchivePool, type ArchiveSink } from "./_archive_pool.ts";
import { BATCH_BYTES } from "./_archive_messages.ts";
import { JobQueue } from "./_job_queue.ts";

const KEYS = {
  idKey: new Uint8Array(32).fill(1),
  dataKey: new Uint8Array(32).fill(2),
  gear: fixedGearTable(),
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
      knownIds: IdSet.from([]),
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
    knownIds: IdSet.from([]),
    upload: () => Promise.resolve(void uploads++),
    workers: 2,
    maxInFlightBytes: 1024,
  });
  await pool.run(queueOf([]), SINK);
  pool.close();
  assert.deepEqual([uploads, pool.bytesSent, pool.bytesSealed], [0, 0, 0]);
});

Deno.test("ArchivePool rejects bad worker counts and in-flight limits", () => {
  const base = { keys: KEYS, knownIds: IdSet.from([]), upload: () => Promise.resolve() };
  assert.throws(() => new ArchivePool({ ...base, workers: 0, maxInFlightBytes: 1 }), RangeError);
  assert.throws(() => new ArchivePool({ ...base, workers: 2, maxInFlightBytes: 0.5 }), RangeError);
});

Deno.test("ArchivePool uploads no known id, and a chunk two workers sealed once", async () => {
  const dir = await Deno.makeTempDir();
  const twin = "the same content in two files";
  try {
    await Deno.writeTextFile(`${dir}/twin-1`, twin);
    await Deno.writeTextFile(`${dir}/twin-2`, twin);
    await Deno.writeTextFile(`${dir}/known`, "content the server has");
    const knownId = new Uint8Array(
      createHmac("sha256", KEYS.idKey).update("content the server has").digest(),
    );
    const twinId = createHmac("sha256", KEYS.idKey).update(twin).digest("hex");
    const uploaded: { id: string; bytes: number }[] = [];
    const pool = new ArchivePool({
      keys: KEYS,
      knownIds: IdSet.from([knownId]),
      upload: (blobs) => {
        uploaded.push(...blobs.map((b) => ({ id: b.id.toHex(), bytes: b.blob.length })));
        return Promise.resolve();
      },
      workers: 2,
      maxInFlightBytes: 1024 * 1024,
    });
    // A full batch each, so the twins go to the two workers and both seal the same chunk.
    const queue = new JobQueue();
    ["twin-1", "twin-2", "known"].forEach((name, ref) =>
      queue.add({ ref, source: `${dir}/${name}`, size: BATCH_BYTES })
    );
    queue.end();
    try {
      await pool.run(queue, SINK);
    } finally {
      pool.close();
    }
    assert.deepEqual(uploaded.map((u) => u.id), [twinId]);
    assert.equal(pool.bytesSealed, uploaded[0]!.bytes);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ArchivePool seals while the known ids load, then uploads only what they do not name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/new`, "content the server lacks");
    await Deno.writeTextFile(`${dir}/known`, "content the server has");
    const idOf = (text: string) =>
      new Uint8Array(createHmac("sha256", KEYS.idKey).update(text).digest());
    const known = Promise.withResolvers<IdSet>();
    let loaded = false;
    const uploaded: string[] = [];
    let replies = 0;
    const pool = new ArchivePool({
      keys: KEYS,
      knownIds: known.promise,
      upload: (blobs) => {
        assert.ok(loaded, "nothing is uploaded before the known ids are in");
        uploaded.push(...blobs.map((b) => b.id.toHex()));
        return Promise.resolve();
      },
      workers: 1,
      maxInFlightBytes: 1024 * 1024,
    });
    try {
      const done = pool.run(queueOf([`${dir}/new`, `${dir}/known`]), {
        ...SINK,
        replied: () => void replies++,
      });
      while (replies === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      loaded = true;
      known.resolve(IdSet.from([idOf("content the server has")]));
      await done;
    } finally {
      pool.close();
    }
    assert.deepEqual(uploaded, [idOf("content the server lacks").toHex()]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ArchivePool.run() rejects when the known ids fail to load", async () => {
  const pool = new ArchivePool({
    keys: KEYS,
    knownIds: Promise.reject(new Error("listing failed")),
    upload: () => Promise.resolve(),
    workers: 1,
    maxInFlightBytes: 1024,
  });
  try {
    await assert.rejects(pool.run(queueOf([]), SINK), /listing failed/);
  } finally {
    pool.close();
  }
});
