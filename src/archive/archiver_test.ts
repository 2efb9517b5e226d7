import { lstatEntry, setModificationTime } from "../fs_times.ts";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { BlobOpener } from "../format/blob_crypto.ts";
import { chunkBoundaries, MAX_CHUNK_SIZE } from "../format/chunker.ts";
import { decompressChunk } from "../format/decompression.ts";
import { fixedGearTable } from "../format/gear_table.ts";
import {
  deriveRepositoryKeys,
  KEY_FILE_FIXED_GEAR,
  KEY_FILE_KEYED_GEAR,
  type RepositoryKeys,
} from "../format/master_key.ts";
import { IdSet } from "../format/id_set.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { archive, type ArchiveOptions, type ArchiveResult, type SealedBlob } from "./archiver.ts";

/** Keys of a repository made today (keyed gear table). */
const KEYS = deriveRepositoryKeys({
  bytes: new Uint8Array(32).fill(7),
  version: KEY_FILE_KEYED_GEAR,
});
const MiB = 1024 * 1024;
const text = new TextEncoder();

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) {
    crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
  }
  return out;
}

/** Runs archive() with a recording upload; blob buffers are copied as uploaded. */
async function run(
  source: string,
  extra: Partial<ArchiveOptions> = {},
): Promise<{ result: ArchiveResult; uploads: SealedBlob[][]; warnings: string[] }> {
  const uploads: SealedBlob[][] = [];
  const warnings: string[] = [];
  const result = await archive({
    source,
    keys: KEYS,
    knownIds: IdSet.from([]),
    previous: null,
    upload: (blobs) => {
      uploads.push(
        blobs.map((b) => ({ id: b.id.slice(), blob: b.blob.slice(), plainSize: b.plainSize })),
      );
      return Promise.resolve();
    },
    onWarning: (path, reason) => warnings.push(`${path}: ${reason}`),
    ...extra,
  });
  return { result, uploads, warnings };
}

/** The plaintext of a file from its chunk list, checking every id against HMAC(idKey, plaintext). */
function rebuild(entry: TreeEntry, blobs: Map<string, SealedBlob>): Uint8Array {
  const opener = new BlobOpener(KEYS.dataKey);
  const parts = entry.chunks.map((id) => {
    const sealed = blobs.get(id.toHex());
    assert.ok(sealed, `chunk of ${entry.path} was uploaded`);
    const { payload, compressed } = opener.open(id, sealed.blob);
    const plain = compressed ? decompressChunk(payload, MAX_CHUNK_SIZE) : payload;
    assert.deepEqual(new Uint8Array(createHmac("sha256", KEYS.idKey).update(plain).digest()), id);
    assert.equal(plain.length, sealed.plainSize);
    return plain;
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) at += (out.set(part, at), part.length);
  return out;
}

function byId(uploads: SealedBlob[][]): Map<string, SealedBlob> {
  const map = new Map<string, SealedBlob>();
  for (const blob of uploads.flat()) {
    assert.ok(!map.has(blob.id.toHex()), "no blob is uploaded twice");
    map.set(blob.id.toHex(), blob);
  }
  return map;
}

async function withTree(
  files: Record<string, Uint8Array | "dir" | { link: string }>,
  body: (root: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "burrow-archiver-" });
  try {
    for (const [path, content] of Object.entries(files)) {
      const full = `${root}/${path}`;
      await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
      if (content === "dir") await Deno.mkdir(full, { recursive: true });
      else if (content instanceof Uint8Array) await Deno.writeFile(full, content);
      else await Deno.symlink(content.link, full);
    }
    await body(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("archive() records a tree, and every file rebuilds from its sealed chunks", async () => {
  const big = randomBytes(20 * MiB);
  const dup = randomBytes(300 * 1024);
  const readme = text.encode("hello burrow\n".repeat(5000));
  const unicode = text.encode("ünïcode ✓");
  const tree = {
    "big.bin": big,
    "docs/readme.txt": readme,
    "docs/deep/x/y.bin": randomBytes(100 * 1024),
    "docs/dup2.bin": dup,
    "dup1.bin": dup,
    "empty": "dir" as const,
    "empty.txt": new Uint8Array(0),
    "link": { link: "docs/readme.txt" },
    "naïve café/ünïcode file.txt": unicode,
  };
  await withTree(tree, async (root) => {
    await Deno.chmod(`${root}/docs/readme.txt`, 0o640);
    await Deno.chmod(`${root}/docs/deep/x`, 0o750);
    await Deno.utime(`${root}/docs/readme.txt`, 1_600_000_000, 1_600_000_000.25);
    const fifo = await new Deno.Command("mkfifo", { args: [`${root}/pipe`] }).output()
      .then((out) => out.success, () => false);
    const { result, uploads, warnings } = await run(root, { maxInFlightBytes: 2 * MiB });
    assert.equal(result.rootType, "dir");
    assert.deepEqual(result.entries.map((e) => `${e.type}:${e.path}`), [
      "file:big.bin",
      "dir:docs",
      "dir:docs/deep",
      "dir:docs/deep/x",
      "file:docs/deep/x/y.bin",
      "file:docs/dup2.bin",
      "file:docs/readme.txt",
      "file:dup1.bin",
      "dir:empty",
      "file:empty.txt",
      "symlink:link",
      "dir:naïve café",
      "file:naïve café/ünïcode file.txt",
      ...(fifo ? ["fifo:pipe"] : []),
    ]);
    assert.deepEqual(warnings, [], "a fifo is recorded, never opened");
    const blobs = byId(uploads);
    for (const entry of result.entries) {
      const stat = await Deno.lstat(`${root}/${entry.path}`);
      assert.equal(entry.mode, stat.mode! & 0o7777, entry.path);
      assert.equal(entry.mtimeNs, lstatEntry(`${root}/${entry.path}`).mtimeNs, entry.path);
      assert.equal(entry.inode, stat.ino, entry.path);
      if (entry.type !== "file") {
        assert.deepEqual([entry.size, entry.chunks.length], [0, 0]);
        continue;
      }
      assert.deepEqual(rebuild(entry, blobs), await Deno.readFile(`${root}/${entry.path}`));
      assert.equal(entry.size, stat.size);
    }
    const byPath = new Map(result.entries.map((e) => [e.path, e]));
    assert.equal(byPath.get("link")!.target, "docs/readme.txt");
    assert.equal(byPath.get("docs/readme.txt")!.mode, 0o640);
    assert.equal(byPath.get("docs/readme.txt")!.mtimeNs, 1_600_000_000_250_000_000n);
    assert.equal(byPath.get("docs/deep/x")!.mode, 0o750);
    assert.ok(byPath.get("big.bin")!.chunks.length >= 5, "20 MiB make several chunks");
    assert.deepEqual(byPath.get("dup1.bin")!.chunks, byPath.get("docs/dup2.bin")!.chunks);
    for (const batch of uploads) {
      const bytes = batch.reduce((n, b) => n + b.blob.length, 0);
      assert.ok(batch.length === 1 || bytes <= 16 * MiB, `upload batch of ${bytes} bytes`);
    }
    const s = result.summary;
    const bytes = big.length + readme.length + 100 * 1024 + 2 * dup.length + unicode.length;
    assert.deepEqual(
      [s.files, s.dirs, s.symlinks, s.bytes, s.filesNew, s.bytesRead, s.warnings],
      [7, 5, 1, bytes, 7, bytes, 0],
    );
    assert.equal(s.bytesSent, uploads.flat().reduce((n, b) => n + b.blob.length, 0));
  });
});

Deno.test("archive() never uploads known ids, and uploads a chunk two workers sealed once", async () => {
  const twin = randomBytes(9 * MiB);
  await withTree(
    { "a.bin": twin, "b.bin": twin, "c.bin": randomBytes(600 * 1024) },
    async (root) => {
      const first = await run(root);
      const all = [...byId(first.uploads).values()];
      assert.deepEqual(first.result.entries[0]!.chunks, first.result.entries[1]!.chunks);
      const known = all.filter((_, i) => i % 2 === 0).map((b) => b.id);
      const knownHex = new Set(known.map((id) => id.toHex()));
      const second = await run(root, { knownIds: IdSet.from(known) });
      for (const blob of second.uploads.flat()) assert.ok(!knownHex.has(blob.id.toHex()));
      assert.equal(byId(second.uploads).size + known.length, all.length);
      assert.deepEqual(second.result.entries, first.result.entries);
    },
  );
});

Deno.test("archive() keeps sealed bytes in flight bounded when upload() is slow", async () => {
  const files = {
    "a.bin": randomBytes(30 * MiB),
    "b.bin": randomBytes(9 * MiB),
    "c.txt": text.encode("c"),
  };
  await withTree(files, async (root) => {
    const limit = 20 * MiB;
    let sealed = 0;
    let uploaded = 0;
    let peak = 0;
    const { result } = await run(root, {
      maxInFlightBytes: limit,
      onProgress: (p) => {
        sealed = p.bytesSealed;
        peak = Math.max(peak, sealed - uploaded);
      },
      upload: async (blobs) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        uploaded += blobs.reduce((n, b) => n + b.blob.length, 0);
      },
    });
    assert.equal(result.summary.bytesSent, uploaded);
    assert.equal(result.summary.files, 3);
    assert.ok(peak > 0 && peak <= limit + 2 * (4 * MiB + 46), `peak in flight ${peak}`);
  });
});

Deno.test("archive() reuses the chunks of unchanged files without reading them", async () => {
  const files = {
    "same.txt": text.encode("original content"),
    "grown.txt": text.encode("short"),
    "gone.txt": text.encode("to be removed"),
  };
  await withTree(files, async (root) => {
    const first = await run(root);
    const previous = new Map(first.result.entries.map((e) => [e.path, e]));
    const knownIds = IdSet.from(first.uploads.flat().map((b) => b.id));
    const before = lstatEntry(`${root}/same.txt`).mtimeNs;
    await Deno.writeTextFile(`${root}/same.txt`, "ORIGINAL CONTENT"); // same size, same inode
    setModificationTime(`${root}/same.txt`, before);
    await Deno.writeTextFile(`${root}/grown.txt`, "longer now");
    await Deno.remove(`${root}/gone.txt`);
    await Deno.writeTextFile(`${root}/new.txt`, "new file");
    const second = await run(root, { previous, knownIds });
    const now = new Map(second.result.entries.map((e) => [e.path, e]));
    assert.deepEqual(now.get("same.txt")!.chunks, previous.get("same.txt")!.chunks);
    assert.notDeepEqual(now.get("grown.txt")!.chunks, previous.get("grown.txt")!.chunks);
    const s = second.result.summary;
    assert.deepEqual(
      [s.filesNew, s.filesChanged, s.filesUnchanged, s.filesRemoved, s.bytesRead],
      [1, 1, 1, 1, "longer now".length + "new file".length],
    );
  });
});

/**
 * Archives `root` (which holds "lost.txt"), as the parent of the next run: its entries by path,
 * the chunk of "lost.txt" (hex), which the server then loses, and the ids it still has.
 */
async function firstLosingOne(
  root: string,
): Promise<{ previous: Map<string, TreeEntry>; lost: string; stillStored: Uint8Array[] }> {
  const first = await run(root);
  const previous = new Map(first.result.entries.map((e) => [e.path, e]));
  const lost = previous.get("lost.txt")!.chunks[0]!.toHex();
  const stillStored = first.uploads.flat().map((b) => b.id).filter((id) => id.toHex() !== lost);
  return { previous, lost, stillStored };
}

Deno.test("archive() reads an unchanged file again when the server lost one of its chunks", async () => {
  await withTree(
    { "kept.txt": text.encode("kept"), "lost.txt": text.encode("lost") },
    async (root) => {
      const { previous, lost, stillStored } = await firstLosingOne(root);
      const second = await run(root, { previous, knownIds: IdSet.from(stillStored) });
      const s = second.result.summary;
      assert.deepEqual([s.filesUnchanged, s.bytesRead], [2, "lost".length]);
      assert.deepEqual(second.uploads.flat().map((b) => b.id.toHex()), [lost]);
    },
  );
});

Deno.test("archive() reads while the known ids load, uploads nothing before, and checks reused files after", async () => {
  await withTree(
    { "kept.txt": text.encode("kept"), "lost.txt": text.encode("lost") },
    async (root) => {
      const { previous, lost, stillStored } = await firstLosingOne(root);
      await Deno.writeTextFile(`${root}/new.txt`, "new content");
      await Deno.writeTextFile(`${root}/stored.txt`, "content stored by another push");
      const stored = new Uint8Array(
        createHmac("sha256", KEYS.idKey).update("content stored by another push").digest(),
      );
      const known = Promise.withResolvers<IdSet>();
      let loaded = false;
      let uploadedEarly = false;
      let readEarly = 0;
      const uploaded: string[] = [];
      const firstRead = Promise.withResolvers<void>();
      const pending = run(root, {
        previous,
        knownIds: known.promise,
        onProgress: (progress) => {
          if (loaded) return;
          readEarly = Math.max(readEarly, progress.bytesRead);
          if (readEarly > 0) firstRead.resolve();
        },
        upload: (blobs) => {
          uploadedEarly ||= !loaded;
          uploaded.push(...blobs.map((b) => b.id.toHex()));
          return Promise.resolve();
        },
      });
      // The ids come in once a file has been read, or after a long wait (the assertion below
      // then fails): no fixed delay that a loaded machine could outrun.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        firstRead.promise,
        new Promise((resolve) => timer = setTimeout(resolve, 30_000)),
      ]);
      clearTimeout(timer);
      loaded = true;
      known.resolve(IdSet.from([...stillStored, stored]));
      const second = await pending;
      assert.ok(readEarly > 0, "files were read before the known ids were in");
      assert.equal(uploadedEarly, false, "nothing was uploaded before them");
      const s = second.result.summary;
      assert.deepEqual(
        [s.filesNew, s.filesUnchanged, s.bytesRead],
        [2, 2, "lost".length + "new content".length + "content stored by another push".length],
      );
      const fresh = createHmac("sha256", KEYS.idKey).update("new content").digest("hex");
      assert.deepEqual(uploaded.sort(), [lost, fresh].sort(), "only what the server lacks");
    },
  );
});

Deno.test("archive() warns about a file that vanishes before it is read, and archives the rest", async () => {
  const files = {
    "a.txt": text.encode("a"),
    "b.txt": text.encode("b"),
    "c/d.txt": text.encode("d"),
  };
  await withTree(files, async (root) => {
    // In a tree this small the walk ends (and reports its totals) before any file is read.
    const { result, warnings } = await run(root, {
      onProgress: (p) => {
        if (p.totalFiles !== undefined && p.files === 0) Deno.removeSync(`${root}/b.txt`);
      },
    });
    assert.deepEqual(result.entries.map((e) => e.path), ["a.txt", "c", "c/d.txt"]);
    assert.deepEqual(warnings, ["b.txt: Cannot read file: it no longer exists"]);
    assert.equal(result.summary.warnings, 1);
    assert.equal(result.summary.files, 2);
  });
});

const UNREADABLE_FOLDER_TEST =
  "archive() warns about a folder it cannot read, and archives the rest";

Deno.test(UNREADABLE_FOLDER_TEST, async () => {
  if (Deno.uid() === 0 && Deno.env.get("BURROW_TEST_BOUND_BY_MODES") !== "1") {
    // Root reads any folder: run this test again in a child process that stays root but has
    // lost the capabilities that override file modes (setpriv, util-linux).
    const child = await new Deno.Command("setpriv", {
      args: [
        "--bounding-set=-dac_override,-dac_read_search",
        "--",
        Deno.execPath(),
        "test",
        "-A",
        "--no-check",
        "--filter",
        UNREADABLE_FOLDER_TEST,
        new URL(import.meta.url).pathname,
      ],
      env: { BURROW_TEST_BOUND_BY_MODES: "1", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(child.stdout) + new TextDecoder().decode(child.stderr);
    assert.ok(child.success, output);
    assert.match(output, /ok \| 1 passed \| 0 failed/, "the child ran exactly this test");
    return;
  }
  await withTree(
    { "open/a.txt": text.encode("a"), "shut/b.txt": text.encode("b") },
    async (root) => {
      await Deno.chmod(`${root}/shut`, 0);
      try {
        const { result, warnings } = await run(root);
        assert.deepEqual(result.entries.map((e) => e.path), ["open", "open/a.txt"]);
        assert.deepEqual(warnings, ["shut: Cannot read folder: permission denied"]);
      } finally {
        await Deno.chmod(`${root}/shut`, 0o755);
      }
    },
  );
});

Deno.test("archive() reads a hard-linked file once and records its other paths as links to it", async () => {
  const data = randomBytes(3 * MiB);
  await withTree({ "a/first.bin": data, "b": "dir" }, async (root) => {
    await Deno.link(`${root}/a/first.bin`, `${root}/b/second.bin`);
    await Deno.link(`${root}/a/first.bin`, `${root}/b/third.bin`);
    const { result, uploads, warnings } = await run(root);
    assert.deepEqual(warnings, []);
    const shown = result.entries.map((e) => [e.type, e.path, e.target, e.size]);
    assert.deepEqual(shown, [
      ["dir", "a", "", 0],
      ["file", "a/first.bin", "", data.length],
      ["dir", "b", "", 0],
      ["hardlink", "b/second.bin", "a/first.bin", data.length],
      ["hardlink", "b/third.bin", "a/first.bin", data.length],
    ]);
    const [, first, , second, third] = result.entries;
    assert.deepEqual(second!.chunks, first!.chunks);
    assert.deepEqual(third!.chunks, first!.chunks);
    assert.deepEqual(rebuild(first!, byId(uploads)), data);
    const s = result.summary;
    assert.deepEqual([s.files, s.bytes, s.bytesRead], [3, data.length, data.length], "read once");
    const stored = uploads.flat().reduce((n, b) => n + b.plainSize, 0);
    assert.equal(stored, data.length, "stored once");
  });
});

Deno.test("archive() leaves out a hard link whose file could not be read, with a warning", async () => {
  await withTree({ "a.txt": text.encode("a"), "b": "dir" }, async (root) => {
    await Deno.link(`${root}/a.txt`, `${root}/b/link.txt`);
    const { result, warnings } = await run(root, {
      onProgress: (p) => {
        if (p.totalFiles !== undefined && p.files === 0) {
          Deno.removeSync(`${root}/a.txt`);
          Deno.removeSync(`${root}/b/link.txt`);
        }
      },
    });
    assert.deepEqual(result.entries.map((e) => e.path), ["b"]);
    assert.deepEqual(warnings, [
      "a.txt: Cannot read file: it no longer exists",
      'b/link.txt: Cannot back up hard link: its file "a.txt" was not read',
    ]);
    assert.equal(result.summary.warnings, 2);
  });
});

Deno.test("archive() of a single file yields one entry named after it", async () => {
  await withTree({ "notes v2.txt": text.encode("just one file") }, async (root) => {
    const { result, uploads } = await run(`${root}/notes v2.txt`);
    assert.equal(result.rootType, "file");
    assert.deepEqual(result.entries.map((e) => [e.type, e.path, e.size]), [[
      "file",
      "notes v2.txt",
      13,
    ]]);
    assert.deepEqual(rebuild(result.entries[0]!, byId(uploads)), text.encode("just one file"));
  });
});

Deno.test("archive() rejects when upload() rejects, and stops its workers", async () => {
  await withTree(
    { "a.bin": randomBytes(3 * MiB), "b.bin": randomBytes(12 * MiB) },
    async (root) => {
      const failure = new Error("Cannot upload: the server went away");
      await assert.rejects(run(root, { upload: () => Promise.reject(failure) }), failure);
    },
  );
});

Deno.test("archive() rejects when a callback throws, and stops its workers", async () => {
  await withTree({ "a.bin": randomBytes(MiB), "b.txt": text.encode("b") }, async (root) => {
    const failure = new Error("progress bar broke");
    const onProgress = (p: { files: number }) => {
      if (p.files > 0) throw failure;
    };
    await assert.rejects(run(root, { onProgress }), failure);
  });
});

Deno.test("archive() rejects a source that does not exist", async () => {
  await assert.rejects(run("/nonexistent/burrow-archiver-test"), { code: "NOT_FOUND" });
});

/** Plaintext sizes of the blobs `keys` make of one file, in upload order. */
async function blobSizes(root: string, keys: RepositoryKeys): Promise<number[]> {
  const { uploads } = await run(root, { keys });
  return uploads.flat().map((b) => b.plainSize);
}

Deno.test("archive() cuts a file at points that depend on the repository key", async () => {
  await withTree({ "known.bin": randomBytes(24 * MiB) }, async (root) => {
    const other = deriveRepositoryKeys({
      bytes: new Uint8Array(32).fill(8),
      version: KEY_FILE_KEYED_GEAR,
    });
    const [mine, theirs] = [await blobSizes(root, KEYS), await blobSizes(root, other)];
    const publicCuts = chunkBoundaries(await Deno.readFile(`${root}/known.bin`), fixedGearTable());
    assert.ok(mine.length >= 10 && theirs.length >= 10, `${mine.length}, ${theirs.length} blobs`);
    assert.notDeepEqual(mine, theirs);
    assert.notDeepEqual(mine, publicCuts);
    assert.notDeepEqual(theirs, publicCuts);
  });
});

Deno.test("archive() with a version-1 key cuts with the fixed table, so old data deduplicates", async () => {
  await withTree({ "old.bin": randomBytes(24 * MiB) }, async (root) => {
    const keys = deriveRepositoryKeys({
      bytes: new Uint8Array(32).fill(7),
      version: KEY_FILE_FIXED_GEAR,
    });
    // What a push stored before keyed tables: chunks cut with the fixed table, named by the id key.
    const data = await Deno.readFile(`${root}/old.bin`);
    let at = 0;
    const stored = chunkBoundaries(data, fixedGearTable()).map((length) =>
      new Uint8Array(
        createHmac("sha256", keys.idKey).update(data.subarray(at, at += length)).digest(),
      )
    );
    const { result, uploads } = await run(root, { keys, knownIds: IdSet.from(stored) });
    assert.ok(stored.length >= 10, `${stored.length} chunks`);
    assert.deepEqual(result.entries[0]!.chunks, stored);
    assert.equal(uploads.flat().length, 0, "every chunk is already stored");
  });
});
