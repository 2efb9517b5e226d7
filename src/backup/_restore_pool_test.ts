import assert from "node:assert/strict";
import { inTempDir } from "../../tests/_testing.ts";
import type { TreeEntry } from "../repo/snapshot_model.ts";
import { RestorePool } from "./_restore_pool.ts";

const CRASHING_WORKER = new URL("./testdata/crashing_restore_worker.ts", import.meta.url).href;

function fileEntry(path: string, size: number): TreeEntry {
  return {
    path,
    type: "file",
    mode: 0o640,
    mtimeMs: 1_700_000_000_000,
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
      assert.equal(info.mtime?.getTime(), 1_700_000_000_000);
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

Deno.test("RestorePool fails, not hangs, when a worker crashes", async () => {
  await inTempDir(async (dir) => {
    const pool = new RestorePool({ workerUrl: CRASHING_WORKER });
    await pool.writeFile(
      fileEntry("x", 3),
      `${dir}/.x.tmp`,
      `${dir}/x`,
      chunksOf(new Uint8Array(3)),
    );
    await assert.rejects(pool.finish(), /a file writer crashed/);
  });
});

Deno.test("RestorePool() refuses bad options", () => {
  assert.throws(() => new RestorePool({ workers: 0 }), RangeError);
  assert.throws(() => new RestorePool({ ringBytes: 10 }), RangeError);
});
