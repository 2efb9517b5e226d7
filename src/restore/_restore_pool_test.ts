import { lstatEntry } from "../fs_times.ts";
import assert from "node:assert/strict";
import { inTempDir, isolatedTest } from "../../tests/_testing.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { RestorePool } from "./_restore_pool.ts";
import { type FileWriters, InlineFiles } from "./_inline_files.ts";
import { settlesWithin, UNREADABLE_REPLY_WORKER } from "../../tests/workers/fixtures.ts";

const CRASHING_WORKER = new URL("./testdata/crashing_restore_worker.ts", import.meta.url).href;

function fileEntry(path: string, size: number): TreeEntry {
  return {
    path,
    type: "file",
    mode: 0o640,
    mtimeNs: 1_700_000_000_000_123_456n,
    size,
    inode: 0,
    chunks: [],
    target: "",
  };
}

async function* chunksOf(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

Deno.test("RestorePool writes files through a small ring, wrapping, with modes and mtimes", async () => {
  await inTempDir(async (dir) => {
    // A 100-byte ring (50-byte pieces) makes every file wrap and wait for room.
    const pool = new RestorePool({ workers: 2, ringBytes: 100 });
    const expected = new Map<string, Uint8Array>();
    for (let i = 0; i < 20; i++) {
      const bytes = Uint8Array.from({ length: 37 * i + 3 }, (_, j) => (i * 7 + j) % 256);
      expected.set(`f${i}`, bytes);
      const chunks = [bytes.subarray(0, bytes.length >> 1), bytes.subarray(bytes.length >> 1)];
      await pool.writeFile(
        fileEntry(`f${i}`, bytes.length),
        `${dir}/.f${i}.tmp`,
        `${dir}/f${i}`,
        chunksOf(...chunks),
      );
    }
    await pool.finish();
    for (const [name, bytes] of expected) {
      assert.deepEqual(Deno.readFileSync(`${dir}/${name}`), bytes);
      const info = Deno.statSync(`${dir}/${name}`);
      assert.equal(info.mode! & 0o777, 0o640);
      assert.equal(lstatEntry(`${dir}/${name}`).mtimeNs, 1_700_000_000_000_123_456n);
    }
    assert.deepEqual([...Deno.readDirSync(dir)].length, 20, "no temp file is left");
  });
});

Deno.test("RestorePool removes the temp file of a file whose chunks fail, and rethrows", async () => {
  await inTempDir(async (dir) => {
    const pool = new RestorePool();
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10);
      throw new Error("chunk 1 does not verify");
    }
    await assert.rejects(
      pool.writeFile(fileEntry("bad", 20), `${dir}/.bad.tmp`, `${dir}/bad`, failing()),
      /chunk 1 does not verify/,
    );
    await pool.finish();
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("RestorePool reports a worker's file error with its Deno error class", async () => {
  await inTempDir(async (dir) => {
    const pool = new RestorePool();
    const entry = fileEntry("x", 3);
    await pool.writeFile(
      entry,
      `${dir}/missing/.x.tmp`,
      `${dir}/missing/x`,
      chunksOf(new Uint8Array(3)),
    );
    await assert.rejects(pool.finish(), Deno.errors.NotFound);
  });
});

isolatedTest(
  "RestorePool fails, not hangs, when a worker crashes",
  import.meta.url,
  /Uncaught \(in worker "burrow-restore"\) Error: simulated writer crash/,
  async () => {
    await inTempDir(async (dir) => {
      const pool = new RestorePool({ workerUrl: CRASHING_WORKER });
      await pool.writeFile(
        fileEntry("x", 3),
        `${dir}/.x.tmp`,
        `${dir}/x`,
        chunksOf(new Uint8Array(3)),
      );
      await assert.rejects(pool.finish(), /a worker crashed/);
    });
  },
);

Deno.test("RestorePool fails, not hangs, when a worker's reply cannot be read", async () => {
  await inTempDir(async (dir) => {
    const pool = new RestorePool({ workers: 1, workerUrl: UNREADABLE_REPLY_WORKER });
    try {
      await pool.writeFile(
        fileEntry("x", 3),
        `${dir}/.x.tmp`,
        `${dir}/x`,
        chunksOf(new Uint8Array(3)),
      );
      await assert.rejects(settlesWithin(pool.finish(), 10_000), /reply could not be read/);
    } finally {
      pool.close();
    }
  });
});

Deno.test("RestorePool() refuses bad options", () => {
  assert.throws(() => new RestorePool({ workers: 0 }), RangeError);
  assert.throws(() => new RestorePool({ ringBytes: 10 }), RangeError);
  assert.throws(() => new RestorePool({ workers: 3, maxWorkers: 2 }), RangeError);
  assert.throws(() => new RestorePool({ slowFileMs: -1 }), RangeError);
  assert.throws(() => new RestorePool({ slowFileMs: NaN }), RangeError);
});

/** Writes one-byte files `f{from}` … `f{from + count - 1}` in `dir` through `pool`. */
async function writeSmallFiles(
  pool: RestorePool,
  dir: string,
  from: number,
  count: number,
): Promise<void> {
  for (let i = from; i < from + count; i++) {
    await pool.writeFile(
      fileEntry(`f${i}`, 1),
      `${dir}/.f${i}.tmp`,
      `${dir}/f${i}`,
      chunksOf(new Uint8Array([i % 256])),
    );
  }
}

/**
 * Writes 600 files, then one file per event-loop turn (when the workers' replies are read) for
 * up to `turns` turns or until `pool` runs `want` workers; returns how many files it wrote.
 */
async function writeWhileWaiting(
  pool: RestorePool,
  dir: string,
  want: number,
  turns: number,
): Promise<number> {
  await writeSmallFiles(pool, dir, 0, 600);
  let written = 600;
  for (let turn = 0; turn < turns && pool.workerCount < want; turn++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    await writeSmallFiles(pool, dir, written++, 1);
  }
  return written;
}

Deno.test("RestorePool adds a worker, up to maxWorkers, while creating files is slow", async () => {
  await inTempDir(async (dir) => {
    // Every file counts as slow: a second worker starts after the first window of 512 files.
    const pool = new RestorePool({ workers: 1, maxWorkers: 2, slowFileMs: 0 });
    const written = await writeWhileWaiting(pool, dir, 2, 500);
    assert.equal(pool.workerCount, 2);
    await writeSmallFiles(pool, dir, written, 1200); // two more windows: still two, the maximum
    assert.equal(pool.workerCount, 2);
    await pool.finish();
    assert.equal([...Deno.readDirSync(dir)].length, written + 1200);
    assert.deepEqual(Deno.readFileSync(`${dir}/f${written}`), new Uint8Array([written % 256]));
  });
});

Deno.test("RestorePool keeps its workers while creating files is fast", async () => {
  await inTempDir(async (dir) => {
    const pool = new RestorePool({ workers: 1, maxWorkers: 3, slowFileMs: Infinity });
    const written = await writeWhileWaiting(pool, dir, 2, 30);
    assert.equal(pool.workerCount, 1);
    await pool.finish();
    assert.equal([...Deno.readDirSync(dir)].length, written);
  });
});

/** Each file writer, by name: workers with a small ring, and this thread. */
const WRITERS: [string, () => FileWriters][] = [
  ["RestorePool", () => new RestorePool({ ringBytes: 1024 })],
  ["InlineFiles", () => new InlineFiles()],
];

for (const [writer, make] of WRITERS) {
  Deno.test(`${writer} leaves zeros as holes, and a file ending in one its length`, async () => {
    await inTempDir(async (dir) => {
      const MiB = 1024 * 1024;
      const data = () => new Uint8Array(5000).fill(9);
      const zeros = () => new Uint8Array(4 * MiB);
      const mixed = () => {
        const chunk = new Uint8Array(3 * MiB);
        chunk.set(data(), 0);
        chunk.set(data(), 2 * MiB + 77);
        return chunk;
      };
      const files: [string, () => Uint8Array[]][] = [
        ["middle", () => [data(), zeros(), zeros(), data()]],
        ["within", () => [mixed(), mixed()]],
        ["tail", () => [data(), zeros()]],
        ["only", () => [zeros(), zeros()]],
      ];
      const pool = make();
      for (const [name, chunks] of files) {
        const size = chunks().reduce((n, chunk) => n + chunk.length, 0);
        await pool.writeFile(
          fileEntry(name, size),
          `${dir}/.${name}`,
          `${dir}/${name}`,
          chunksOf(...chunks()),
        );
      }
      await pool.finish();
      for (const [name, chunks] of files) {
        const expected = new Uint8Array(chunks().reduce((n, chunk) => n + chunk.length, 0));
        let at = 0;
        for (const chunk of chunks()) at += (expected.set(chunk, at), chunk.length);
        assert.deepEqual(Deno.readFileSync(`${dir}/${name}`), expected, name);
        const info = Deno.statSync(`${dir}/${name}`);
        assert.equal(info.size, expected.length, `${name}: its length`);
        assert.ok(
          info.blocks! * 512 <= 64 * 1024,
          `${name}: ${info.blocks} blocks, the zeros are holes`,
        );
      }
    });
  });
}

Deno.test("InlineFiles removes the temp file of a file that fails, and rethrows", async () => {
  await inTempDir(async (dir) => {
    const files = new InlineFiles();
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10);
      throw new Error("chunk 1 does not verify");
    }
    await assert.rejects(
      files.writeFile(fileEntry("bad", 20), `${dir}/.bad.tmp`, `${dir}/bad`, failing()),
      /chunk 1 does not verify/,
    );
    await files.finish(); // a chunk that fails is the file's, not the writer's
    const entry = fileEntry("x", 3);
    const missing = `${dir}/missing`;
    const write = () => files.writeFile(entry, `${missing}/.x`, `${missing}/x`, chunksOf());
    await assert.rejects(write(), Deno.errors.NotFound);
    await assert.rejects(files.finish(), Deno.errors.NotFound);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});
