import assert from "node:assert/strict";
import { IntegrityError } from "../errors.ts";
import { toHex } from "../format/chunk_id.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import type { ChunkWant } from "../client/chunk_source.ts";
import { restoreToFolder } from "./restorer.ts";
import { emptyTotals } from "./tree_reader.ts";
import {
  assertTree,
  chunkId,
  contentOf,
  entry,
  fileEntry,
  MemoryChunkSource,
  sampleTree,
} from "./_restore_test_util.ts";
import { inTempDir } from "../../tests/_testing.ts";

const MiB = 1024 * 1024;

function listTree(dir: string, prefix = ""): string[] {
  const names: string[] = [];
  for (const item of Deno.readDirSync(dir)) {
    names.push(`${prefix}${item.name}`);
    if (item.isDirectory) names.push(...listTree(`${dir}/${item.name}`, `${prefix}${item.name}/`));
  }
  return names.sort();
}

async function assertRefused(
  dest: string,
  entries: TreeEntry[],
  pattern: RegExp,
  source = new MemoryChunkSource(),
): Promise<void> {
  await assert.rejects(
    restoreToFolder(entries, source, dest, { overwrite: "always" }),
    (error: unknown) => {
      assert.ok(error instanceof IntegrityError, String(error));
      assert.match(error.message, pattern);
      return true;
    },
  );
}

/** The file writers a restore can use: two worker threads (the default), or none. */
const WRITERS = [
  { name: "on workers", fileWriters: undefined },
  { name: "on this thread", fileWriters: 0 },
] as const;

for (const { name, fileWriters } of WRITERS) {
  Deno.test(`restoreToFolder() restores a tree with modes, mtimes, symlinks and empty folders, files written ${name}`, async () => {
    await inTempDir(async (dir) => {
      const { source, entries } = sampleTree();
      const progress: { files: number; bytes: number }[] = [];
      const result = await restoreToFolder(entries, source, `${dir}/new/dest`, {
        onProgress: (p) => progress.push(p),
        fileWriters,
      });
      assertTree(`${dir}/new/dest`, source, entries);
      assert.deepEqual(result, {
        ...emptyTotals(),
        files: 5,
        folders: 4,
        symlinks: 2,
        bytes: 71_322,
        created: 11,
        overwritten: 0,
        skipped: 0,
        deleted: 0,
        conflicts: 0,
      });
      assert.deepEqual(progress.at(-1), { files: 5, bytes: 71_322, current: "top.txt" });
      assert.deepEqual(listTree(`${dir}/new/dest`), entries.map((e) => e.path).sort());
      assert.equal(source.fetches, 1);
    });
  });
}

Deno.test("restoreToFolder() with overwrite always replaces existing files and a symlink where a folder goes", async () => {
  await inTempDir(async (dir) => {
    const outside = `${dir}/outside`;
    Deno.mkdirSync(outside);
    Deno.mkdirSync(`${dir}/dest`);
    Deno.writeTextFileSync(`${dir}/dest/top.txt`, "old content that is longer");
    Deno.symlinkSync(outside, `${dir}/dest/docs`);
    const { source, entries } = sampleTree();
    await assert.rejects(
      restoreToFolder(entries, source, `${dir}/dest`),
      /Cannot restore into ".*\/dest\/docs": it exists; choose .* --overwrite/,
    );
    assert.equal(source.asked, 0, "nothing fetched");
    assert.deepEqual(listTree(`${dir}/dest`), ["docs", "top.txt"]);
    const result = await restoreToFolder(entries, source, `${dir}/dest`, { overwrite: "always" });
    assertTree(`${dir}/dest`, source, entries);
    assert.deepEqual(listTree(outside), []);
    assert.equal(result.overwritten, 2);
  });
});

Deno.test("restoreToFolder() refuses paths that would leave DEST and writes nothing outside", async () => {
  await inTempDir(async (dir) => {
    const outside = `${dir}/outside`;
    Deno.mkdirSync(outside);
    const dest = `${dir}/dest`;
    const source = new MemoryChunkSource();
    const payload = () => fileEntry(source, "x", [4]);
    const attacks: [TreeEntry[], RegExp][] = [
      [
        [entry("a", "symlink", { target: outside }), { ...payload(), path: "a/passwd" }],
        /leave DEST/,
      ],
      [[entry("d", "dir"), entry("d/l", "symlink", { target: "../.." }), {
        ...payload(),
        path: "d/l/x",
      }], /"d\/l\/x": it would leave DEST/],
      [[{ ...payload(), path: "../x" }], /"\.\.\/x": it would leave DEST/],
      [[{ ...payload(), path: "/abs" }], /"\/abs": it would leave DEST/],
      [[{ ...payload(), path: "a//b" }], /"a\/\/b": it has an empty component/],
      [[{ ...payload(), path: "nodir/x" }], /its folder "nodir" does not come before it/],
      [[payload(), { ...payload(), path: "x/y" }], /"x\/y": its parent "x" is a file/],
      [[entry("d", "dir"), entry("d", "dir")], /"d": it appears twice/],
    ];
    for (const [entries, pattern] of attacks) {
      await assertRefused(dest, entries, pattern, source);
    }
    assert.deepEqual(listTree(outside), []);
    assert.deepEqual(listTree(dir).filter((p) => !p.startsWith("dest") && p !== "outside"), []);
    assert.ok(listTree(dest).every((p) => !p.endsWith("passwd") && !p.includes("/x")));
  });
});

/** Restores `entries` into `dest`, returning the result and the damaged files' messages. */
async function restoreCollecting(
  entries: TreeEntry[],
  source: MemoryChunkSource,
  dest: string,
  fileWriters?: number,
) {
  const damaged: string[] = [];
  const result = await restoreToFolder(entries, source, dest, {
    onDamaged: (damage) => damaged.push(damage.message),
    fileWriters,
  });
  return { result, damaged };
}

for (const { name, fileWriters } of WRITERS) {
  Deno.test(`restoreToFolder() leaves out each file whose chunk does not verify or is missing, and restores the others, files written ${name}`, async () => {
    await inTempDir(async (dir) => {
      const source = new MemoryChunkSource();
      const good = fileEntry(source, "good.txt", [10]);
      const bad = fileEntry(source, "bad file.bin", [100, 200, 300, 400]);
      const twin = { ...bad, path: "twin.bin" }; // shares every chunk of the bad one
      const lost = fileEntry(source, "lost.bin", [50, 60]);
      const after = fileEntry(source, "after.txt", [20]);
      source.bad.add(toHex(bad.chunks[3] ?? chunkId(0)));
      source.chunks.delete(toHex(lost.chunks[0] ?? chunkId(0)));
      const { result, damaged } = await restoreCollecting(
        [good, bad, twin, lost, after],
        source,
        dir,
        fileWriters,
      );
      assert.deepEqual(damaged, [
        'Cannot restore "bad file.bin": chunk 3 does not verify',
        'Cannot restore "twin.bin": chunk 3 does not verify',
        'Cannot restore "lost.bin": chunk 0 is missing or damaged on the server',
      ]);
      assert.deepEqual(listTree(dir), ["after.txt", "good.txt"], "no partial file is left");
      assert.equal(result.files, 2);
      assert.equal(result.filesDamaged, 3);
      assert.equal(result.bytes, 30);
      assert.deepEqual(Deno.readFileSync(`${dir}/after.txt`), contentOf(source, after));
    });
  });
}

Deno.test("restoreToFolder() leaves out a file whose chunks do not add up to its size", async () => {
  await inTempDir(async (dir) => {
    const source = new MemoryChunkSource();
    const short = { ...fileEntry(source, "short", [5]), size: 10 };
    const long = { ...fileEntry(source, "long", [5, 5, 5]), size: 7 };
    const fine = fileEntry(source, "fine", [3]);
    const { result, damaged } = await restoreCollecting([short, long, fine], source, dir);
    assert.deepEqual(damaged, [
      'Cannot restore "short": its chunks hold 5 bytes, not 10',
      'Cannot restore "long": its chunks hold more than 7 bytes, not 7',
    ]);
    assert.deepEqual(listTree(dir), ["fine"]);
    assert.equal(result.filesDamaged, 2);
  });
});

Deno.test("restoreToFolder() fetches the chunks of a whole tree in one pipelined call", async () => {
  await inTempDir(async (dir) => {
    const source = new MemoryChunkSource();
    const entries = [entry("d", "dir")];
    for (let i = 0; i < 2000; i++) entries.push(fileEntry(source, `d/f${i}`, [100 + (i % 50)]));
    const result = await restoreToFolder(entries, source, dir);
    assert.equal(result.files, 2000);
    assert.equal(source.fetches, 1);
    assert.deepEqual(Deno.readFileSync(`${dir}/d/f1999`), contentOf(source, entries[2000]!));
  });
});

Deno.test("restoreToFolder() streams a 100 MiB file, holding one chunk at a time", async () => {
  await inTempDir(async (dir) => {
    const memory = new MemoryChunkSource();
    const chunk = new Uint8Array(MiB).map((_, i) => i % 251);
    const ids = Array.from({ length: 100 }, (_, i) => memory.put(chunkId(i), chunk));
    const big = entry("big.bin", "file", { size: 100 * MiB, chunks: ids, mode: 0o600 });
    // Each chunk handed out is the restorer's own, which it frees once copied to a worker: count
    // those still alive (not detached) each time the next one is asked for.
    const handedOut: Uint8Array[] = [];
    let mostAlive = 0;
    const source = {
      async *fetch(wanted: Iterable<ChunkWant>): AsyncGenerator<Uint8Array> {
        for await (const plain of memory.fetch(wanted)) {
          if (!(plain instanceof Uint8Array)) throw plain;
          mostAlive = Math.max(mostAlive, handedOut.filter((c) => c.byteLength > 0).length);
          handedOut.push(plain);
          yield plain;
        }
      },
    };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await restoreToFolder([big], source, dir);
    clearInterval(timer);
    assert.equal(handedOut.length, 100);
    assert.ok(mostAlive <= 1, `${mostAlive} chunks were alive at once`);
    assert.ok(ticks > 0, "the event loop never ran a timer");
    const file = Deno.openSync(`${dir}/big.bin`);
    const probe = new Uint8Array(4);
    file.seekSync(77 * MiB + 1000, Deno.SeekMode.Start);
    file.readSync(probe);
    file.close();
    assert.deepEqual(probe, chunk.subarray(1000, 1004));
    assert.equal(Deno.statSync(`${dir}/big.bin`).size, 100 * MiB);
  });
});

Deno.test("restoreToFolder() with preserveSpecialBits gives files their exact mode whatever the umask keeps", async () => {
  await inTempDir(async (dir) => {
    const source = new MemoryChunkSource();
    const modes = [0o600, 0o644, 0o666, 0o777, 0o444, 0o000, 0o4755, 0o2750, 0o1777];
    const entries = modes.map((mode) => fileEntry(source, `m${mode.toString(8)}`, [10], { mode }));
    const before = Deno.umask(0o027);
    try {
      await restoreToFolder(entries, source, `${dir}/dest`, { preserveSpecialBits: true });
    } finally {
      Deno.umask(before);
    }
    for (const mode of modes) {
      const got = Deno.lstatSync(`${dir}/dest/m${mode.toString(8)}`).mode! & 0o7777;
      assert.equal(got.toString(8), mode.toString(8));
    }
  });
});

Deno.test("restoreToFolder() removes partial files a killed restore left in folders it reuses", async () => {
  await inTempDir(async (dir) => {
    const dest = `${dir}/dest`;
    const partial = (name: string) => `.${name}.burrow-partial-0123abcd-7`;
    Deno.mkdirSync(`${dest}/docs/nested`, { recursive: true });
    Deno.mkdirSync(`${dest}/untouched`);
    for (const path of ["", "docs/", "docs/nested/", "untouched/"]) {
      Deno.writeTextFileSync(`${dest}/${path}${partial("x")}`, "left by a killed pull");
    }
    Deno.writeTextFileSync(`${dest}/docs/mine.txt`, "the user's own file");
    const { source, entries } = sampleTree();
    await restoreToFolder(entries, source, dest, { overwrite: "always" });
    assertTree(dest, source, entries);
    const left = listTree(dest).filter((p) => !entries.some((e) => e.path === p));
    assert.deepEqual(left, ["docs/mine.txt", "untouched", `untouched/${partial("x")}`]);
  });
});

Deno.test("restoreToFolder() drops setuid and setgid bits unless asked to keep them", async () => {
  await inTempDir(async (dir) => {
    const source = new MemoryChunkSource();
    const entries = [
      entry("d", "dir", { mode: 0o2775 }),
      entry("t", "dir", { mode: 0o1777 }),
      fileEntry(source, "d/suid", [10], { mode: 0o4755 }),
      fileEntry(source, "d/both", [10], { mode: 0o6711 }),
      fileEntry(source, "sticky", [10], { mode: 0o1644 }),
    ];
    const modeOf = (path: string) => (Deno.lstatSync(path).mode! & 0o7777).toString(8);
    await restoreToFolder(entries, source, `${dir}/plain`);
    assert.deepEqual(
      entries.map((e) => modeOf(`${dir}/plain/${e.path}`)),
      ["775", "1777", "755", "711", "1644"],
    );
    await restoreToFolder(entries, source, `${dir}/kept`, { preserveSpecialBits: true });
    assert.deepEqual(
      entries.map((e) => modeOf(`${dir}/kept/${e.path}`)),
      ["2775", "1777", "4755", "6711", "1644"],
    );
  });
});
