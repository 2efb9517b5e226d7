import assert from "node:assert/strict";
import { fixedGearTable } from "../format/gear_table.ts";
import { createHmac } from "node:crypto";
import { Buffer } from "node:buffer";
import { IdSet } from "../format/id_set.ts";
import { ArchiveJobRunner } from "./_archive_job_runner.ts";
import type { JobReply } from "./_archive_messages.ts";

const MiB = 1024 * 1024;

function runner(
  creditBytes: number,
  replies: JobReply[],
  known: IdSet = IdSet.from([]),
): ArchiveJobRunner {
  const init = {
    type: "init" as const,
    idKey: new Uint8Array(32).fill(3),
    dataKey: new Uint8Array(32).fill(4),
    gear: fixedGearTable(),
    knownIds: known.shared,
    creditBytes,
    flushBytes: Math.max(1, creditBytes / 2),
  };
  return new ArchiveJobRunner(init, (reply) => replies.push(reply));
}

/** Waits until the last reply says the worker waits for credit, the job ends, or 30 s pass. */
async function untilWaiting(replies: readonly JobReply[], finished: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (replies.at(-1)?.waiting !== true && !finished() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("ArchiveJobRunner.run() waits for credit once out of it, and resumes on credit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = new Uint8Array(12 * MiB);
    for (let at = 0; at < data.length; at += 65536) {
      crypto.getRandomValues(data.subarray(at, at + 65536));
    }
    await Deno.writeFile(`${dir}/big`, data);
    const replies: JobReply[] = [];
    const worker = runner(2 * MiB, replies);
    let finished = false;
    const job = worker.run({ type: "job", jobId: 1, paths: [`${dir}/big`] }).then(() =>
      finished = true
    );
    await untilWaiting(replies, () => finished);
    assert.equal(finished, false);
    assert.equal(replies.at(-1)?.waiting, true, "the last reply says the worker waits");
    while (!finished) {
      const bytes = replies.splice(0).flatMap((r) => r.blobs).reduce((n, b) => n + b.length, 0);
      worker.credit(bytes);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await job;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ArchiveJobRunner.run() reports a file it cannot open and goes on", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a`, "content of a");
    const replies: JobReply[] = [];
    await runner(64 * MiB, replies).run({
      type: "job",
      jobId: 7,
      paths: [`${dir}/missing`, `${dir}/a`, `${dir}/a`],
    });
    assert.equal(replies.length, 1);
    const [reply] = replies;
    assert.deepEqual([reply!.jobId, reply!.done, reply!.waiting], [7, true, false]);
    assert.deepEqual(reply!.files, [
      { at: 0, chunks: 0, bytes: 0, end: true, error: "Cannot read file: it no longer exists" },
      { at: 1, chunks: 1, bytes: 12, end: true },
      { at: 2, chunks: 1, bytes: 12, end: true },
    ]);
    assert.equal(reply!.chunkIds.length, 64);
    assert.equal(reply!.blobs.length, 1, "the same chunk is sealed once");
    assert.deepEqual(reply!.blobIds, reply!.chunkIds.subarray(0, 32));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ArchiveJobRunner.run() seals no id of the shared known set, and each new id once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/known`, "content the server has");
    await Deno.writeTextFile(`${dir}/new`, "content it lacks");
    const paths = [`${dir}/known`, `${dir}/new`, `${dir}/known`, `${dir}/new`];
    const first: JobReply[] = [];
    await runner(64 * MiB, first).run({ type: "job", jobId: 1, paths });
    const knownId = first[0]!.chunkIds.slice(0, 32);
    const newId = first[0]!.chunkIds.slice(32, 64);
    assert.equal(first[0]!.blobs.length, 2, "precondition: without known ids both are sealed");

    const replies: JobReply[] = [];
    await runner(64 * MiB, replies, IdSet.from([knownId])).run({ type: "job", jobId: 2, paths });
    assert.equal(replies.length, 1);
    assert.equal(replies[0]!.chunkIds.length, 4 * 32, "every file still lists its chunk");
    assert.equal(replies[0]!.blobs.length, 1);
    assert.deepEqual(replies[0]!.blobIds, newId);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ArchiveJobRunner seals every chunk until the known ids are in, then skips those", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a`, "content the server has");
    const id = createHmac("sha256", new Uint8Array(32).fill(3)).update("content the server has");
    const replies: JobReply[] = [];
    const init = {
      type: "init" as const,
      idKey: new Uint8Array(32).fill(3),
      dataKey: new Uint8Array(32).fill(4),
      gear: fixedGearTable(),
      creditBytes: 64 * MiB,
      flushBytes: 32 * MiB,
    };
    const worker = new ArchiveJobRunner(init, (reply) => replies.push(reply));
    await worker.run({ type: "job", jobId: 1, paths: [`${dir}/a`] });
    assert.equal(replies.flatMap((r) => r.blobs).length, 1, "sealed while the ids load");
    await Deno.writeTextFile(`${dir}/b`, "content the server has"); // the same chunk, anew
    const other = new ArchiveJobRunner(init, (reply) => replies.push(reply));
    other.know(IdSet.from([new Uint8Array(id.digest())]).shared);
    replies.length = 0;
    await other.run({ type: "job", jobId: 2, paths: [`${dir}/b`] });
    assert.equal(replies.flatMap((r) => r.blobs).length, 0, "a known chunk is not sealed");
    assert.equal(replies.at(-1)!.chunkIds.length, 32, "but it is named");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ArchiveJobRunner.run() marks a file that changed while it was read, and keeps what it read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = new Uint8Array(12 * MiB);
    for (let at = 0; at < data.length; at += 65536) {
      crypto.getRandomValues(data.subarray(at, at + 65536));
    }
    await Deno.writeFile(`${dir}/growing`, data);
    await Deno.writeFile(`${dir}/still`, data.subarray(0, MiB));
    const replies: JobReply[] = [];
    const worker = runner(2 * MiB, replies);
    let finished = false;
    const job = worker.run({ type: "job", jobId: 1, paths: [`${dir}/growing`, `${dir}/still`] })
      .then(() => finished = true);
    await untilWaiting(replies, () => finished);
    assert.equal(finished, false, "out of credit in the first file");
    await Deno.writeFile(`${dir}/growing`, new Uint8Array([1, 2, 3]), { append: true });
    while (!finished) {
      const bytes = replies.flatMap((r) => r.blobs).reduce((n, b) => n + b.length, 0);
      worker.credit(bytes);
      for (const reply of replies) reply.blobs.length = 0;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await job;
    const ends = replies.flatMap((r) => r.files).filter((f) => f.end);
    assert.deepEqual(ends.map((f) => [f.at, f.changed === true, f.error]), [
      [0, true, undefined],
      [1, false, undefined],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Random bytes (getRandomValues fills at most 64 KiB a call). */
function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  return bytes;
}

/** Writes `pieces` at their offsets into a file of `size` bytes: sparse, or dense (all written). */
function writeLayout(
  path: string,
  size: number,
  pieces: [number, Uint8Array][],
  sparse: boolean,
): void {
  using file = Deno.openSync(path, { write: true, create: true, truncate: true });
  if (sparse) file.truncateSync(size);
  else {
    const whole = new Uint8Array(size);
    for (const [offset, bytes] of pieces) whole.set(bytes, offset);
    file.writeSync(whole);
    return;
  }
  for (const [offset, bytes] of pieces) {
    file.seekSync(offset, Deno.SeekMode.Start);
    file.writeSync(bytes);
  }
}

/** Each file's chunk ids (hex), bytes and hole bytes, over all replies of a job. */
function perFile(replies: JobReply[]): { ids: string[]; bytes: number; holes: number }[] {
  const files: { ids: string[]; bytes: number; holes: number }[] = [];
  for (const reply of replies) {
    let id = 0;
    for (const outcome of reply.files) {
      assert.equal(outcome.error, undefined);
      const file = files[outcome.at] ??= { ids: [], bytes: 0, holes: 0 };
      file.bytes += outcome.bytes;
      file.holes += outcome.holeBytes ?? 0;
      for (let i = 0; i < outcome.chunks; i++, id++) {
        file.ids.push(Buffer.from(reply.chunkIds.subarray(id * 32, id * 32 + 32)).toString("hex"));
      }
    }
  }
  return files;
}

Deno.test("ArchiveJobRunner.run() skips a sparse file's holes and names its chunks as a dense copy's", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const layouts: [number, [number, Uint8Array][]][] = [
      // Hole first, data at odd offsets, a short hole between, ends in a hole.
      [40 * MiB, [[5 * MiB + 123, randomBytes(3 * MiB)], [9 * MiB, randomBytes(70_000)], [
        20 * MiB + 7,
        randomBytes(100_000),
      ]]],
      // Data first and last, one long hole between.
      [30 * MiB + 5, [[0, randomBytes(MiB)], [30 * MiB - 4096, randomBytes(4101)]]],
    ];
    const paths: string[] = [];
    for (const [n, [size, pieces]] of layouts.entries()) {
      writeLayout(`${dir}/sparse${n}`, size, pieces, true);
      writeLayout(`${dir}/dense${n}`, size, pieces, false);
      paths.push(`${dir}/sparse${n}`, `${dir}/dense${n}`);
      const sparse = Deno.statSync(`${dir}/sparse${n}`);
      const dense = Deno.statSync(`${dir}/dense${n}`);
      assert.ok(sparse.blocks! * 512 < size / 4, "precondition: the file system keeps holes");
      assert.ok(dense.blocks! * 512 >= size, "precondition: the copy is dense");
    }
    const replies: JobReply[] = [];
    await runner(64 * MiB, replies).run({ type: "job", jobId: 1, paths });
    const files = perFile(replies);
    for (const [n, [size, pieces]] of layouts.entries()) {
      const [sparse, dense] = [files[2 * n]!, files[2 * n + 1]!];
      const data = pieces.reduce((sum, [, bytes]) => sum + bytes.length, 0);
      assert.deepEqual(sparse.ids, dense.ids, `layout ${n}: the same chunk ids`);
      assert.ok(sparse.ids.length > 3, `layout ${n}: several chunks`);
      assert.equal(sparse.bytes, size);
      assert.equal(dense.bytes, size);
      assert.equal(dense.holes, 0, "a dense file is read whole");
      const slack = pieces.length * 2 * 4096; // the blocks data pieces start and end in
      assert.ok(sparse.holes >= size - data - slack, `layout ${n}: holes not read`);
      assert.ok(sparse.holes <= size - data, `layout ${n}: data read`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
