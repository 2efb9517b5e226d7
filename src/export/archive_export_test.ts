import { nsToMs } from "../format/snapshot_model.ts";
import assert from "node:assert/strict";
import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader } from "@zip.js/zip.js";
import { IntegrityError } from "../errors.ts";
import { toHex } from "../format/chunk_id.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { exportTar, exportZip } from "./archive_export.ts";
import {
  assertTree,
  chunkId,
  contentOf,
  entry,
  fileEntry,
  LONG_NAME,
  MemoryChunkSource,
  sampleTree,
} from "../restore/_restore_test_util.ts";
import { emptyTotals } from "../restore/tree_reader.ts";
import { inTempDir, runCommand } from "../../tests/_testing.ts";

Deno.test("exportZip() writes a zip that zip.js and unzip read back", async () => {
  await inTempDir(async (dir) => {
    const { source, entries } = sampleTree();
    const result = await exportZip(entries, source, `${dir}/out.zip`);
    const counts = { files: 5, folders: 4, symlinks: 2, bytes: 71_322 };
    assert.deepEqual(result, { ...emptyTotals(), ...counts });
    const reader = new ZipReader(new Uint8ArrayReader(Deno.readFileSync(`${dir}/out.zip`)));
    const read = await reader.getEntries();
    await reader.close();
    assert.deepEqual(
      read.map((z) => z.filename),
      entries.map((e) => (e.type === "dir" ? `${e.path}/` : e.path)),
    );
    for (const [i, z] of read.entries()) {
      const e = entries[i]!;
      assert.equal(z.directory, e.type === "dir", e.path);
      assert.equal(z.symlink, e.type === "symlink", e.path);
      assert.equal(z.lastModDate.getTime(), Math.floor(nsToMs(e.mtimeNs) / 1000) * 1000, e.path);
      if (e.type !== "symlink") assert.equal((z.unixMode ?? 0) & 0o7777, e.mode, e.path);
      if (z.directory) continue;
      const data = await z.getData(new Uint8ArrayWriter());
      const want = e.type === "file" ? contentOf(source, e) : new TextEncoder().encode(e.target);
      assert.deepEqual(data, want, e.path);
    }
    await runCommand("unzip", ["-q", `${dir}/out.zip`, "-d", `${dir}/x`]);
    // unzip sets folder times before filling them and never sets a link's time.
    const files = entries.filter((e) => e.type !== "dir");
    assertTree(`${dir}/x`, source, files, { mtimeSeconds: true, linkTimes: false });
  });
});

Deno.test("exportTar() writes a tar that system tar lists and extracts", async () => {
  await inTempDir(async (dir) => {
    const { source, entries } = sampleTree();
    const old = { ...entries[0]!, path: "old", mtimeNs: -86_400_500_000_000n };
    const all = [...entries, old];
    const result = await exportTar(all, source, `${dir}/out.tar`);
    const counts = { files: 5, folders: 5, symlinks: 2, bytes: 71_322 };
    assert.deepEqual(result, { ...emptyTotals(), ...counts });
    const listing = await runCommand("tar", ["-tvf", `${dir}/out.tar`]);
    assert.ok(listing.includes(`docs/nested/${LONG_NAME}`), listing);
    assert.ok(listing.includes("abs-link -> /etc/passwd"), listing);
    Deno.mkdirSync(`${dir}/x`);
    await runCommand("tar", ["-xpf", `${dir}/out.tar`, "-C", `${dir}/x`]);
    assertTree(`${dir}/x`, source, all, { mtimeSeconds: true });
  });
});

Deno.test("exportZip() and exportTar() leave no archive when a chunk does not verify, and keep the one there", async () => {
  await inTempDir(async (dir) => {
    const source = new MemoryChunkSource();
    const bad = fileEntry(source, "bad.bin", [100, 200, 300]);
    source.bad.add(toHex(bad.chunks[1] ?? chunkId(0)));
    const entries = [fileEntry(source, "good.txt", [10]), bad, fileEntry(source, "after", [5])];
    for (const exporter of [exportZip, exportTar]) {
      Deno.writeTextFileSync(`${dir}/out`, "previous archive");
      await assert.rejects(
        exporter(entries, source, `${dir}/out`, { overwrite: "always" }),
        (error: unknown) => {
          assert.ok(error instanceof IntegrityError, String(error));
          assert.equal(
            error.message,
            `Cannot write "${dir}/out": "bad.bin": chunk 1 does not verify; no archive was ` +
              "written (a pull into a folder restores every file that verifies; run burrow check)",
          );
          return true;
        },
      );
      assert.equal(Deno.readTextFileSync(`${dir}/out`), "previous archive");
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out"]);
    }
  });
});

Deno.test("exportZip() and exportTar() replace an existing archive only with overwrite always", async () => {
  await inTempDir(async (dir) => {
    const { source, entries } = sampleTree();
    Deno.mkdirSync(`${dir}/folder.zip`);
    for (const exporter of [exportZip, exportTar]) {
      Deno.writeTextFileSync(`${dir}/out`, "previous archive");
      for (const overwrite of [undefined, "never", "if-changed", "if-newer"] as const) {
        await assert.rejects(
          exporter(entries, source, `${dir}/out`, { overwrite }),
          /^BurrowError: Cannot write ".*\/out": it exists; add --overwrite always to replace it/,
        );
      }
      assert.equal(source.asked, 0, "nothing fetched");
      assert.equal(Deno.readTextFileSync(`${dir}/out`), "previous archive");
      await exporter(entries, source, `${dir}/out`, { overwrite: "always" });
      assert.notEqual(Deno.readTextFileSync(`${dir}/out`), "previous archive");
      await assert.rejects(
        exporter(entries, source, `${dir}/folder.zip`, { overwrite: "always" }),
        /Cannot write ".*\/folder\.zip": it is a folder; give another name/,
      );
      source.asked = 0;
    }
  });
});

Deno.test("exportZip() and exportTar() refuse entries that would leave the archive root", async () => {
  await inTempDir(async (dir) => {
    const source = new MemoryChunkSource();
    const attacks: TreeEntry[][] = [
      [entry("a", "symlink", { target: "/etc" }), fileEntry(source, "a/passwd", [3])],
      [fileEntry(source, "../x", [3])],
    ];
    for (const exporter of [exportZip, exportTar]) {
      for (const entries of attacks) {
        await assert.rejects(exporter(entries, source, `${dir}/out`), /would leave DEST/);
      }
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("exportZip() and exportTar() remove the partial archives a killed pull left beside DEST", async () => {
  await inTempDir(async (dir) => {
    const { source, entries } = sampleTree();
    const kept = ["other.zip.partial-0123abcd", "out.zip.partial-0123abc", "out.zip.partial-x"];
    for (const name of ["out.zip.partial-0123abcd", "out.tar.partial-89abcdef", ...kept]) {
      Deno.writeTextFileSync(`${dir}/${name}`, "left by a killed pull");
    }
    await exportZip(entries, source, `${dir}/out.zip`);
    await exportTar(entries, source, `${dir}/out.tar`);
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(left, ["out.tar", "out.zip", ...kept].sort());
  });
});

/** A tree with a file, two hard links to it, a fifo, a device and a socket, owned by 12345. */
function linkedTree(source: MemoryChunkSource): TreeEntry[] {
  const owner = { uid: 12345, gid: 12346, user: "ann", group: "staff" };
  const file = fileEntry(source, "d/f", [10, 20], { owner });
  const link = { ...file, type: "hardlink" as const, target: "d/f" };
  return [
    entry("d", "dir", { owner }),
    file,
    { ...link, path: "d/g" },
    { ...link, path: "h" },
    entry("d/pipe", "fifo", { mode: 0o600, owner }),
    entry("d/null", "chardev", { mode: 0o666, device: { major: 1, minor: 3 }, owner }),
    entry("d/sock", "socket", { mode: 0o755 }),
  ];
}

Deno.test("exportTar() writes hard links as links, fifos and devices with their numbers, owners", async () => {
  await inTempDir(async (dir) => {
    const source = new MemoryChunkSource();
    const entries = linkedTree(source);
    const result = await exportTar(entries, source, `${dir}/out.tar`);
    const counts = { files: 1, folders: 1, hardLinks: 2, specials: 2, sockets: 1, bytes: 30 };
    assert.deepEqual(result, { ...emptyTotals(), ...counts });
    const listing = await runCommand("tar", ["-tvf", `${dir}/out.tar`]);
    assert.match(listing, /^hrw-r--r-- ann\/staff +0 .* d\/g link to d\/f$/m);
    assert.match(listing, /^hrw-r--r-- ann\/staff +0 .* h link to d\/f$/m);
    assert.match(listing, /^prw------- ann\/staff .* d\/pipe$/m);
    assert.match(listing, /^crw-rw-rw- ann\/staff +1,3 .* d\/null$/m);
    assert.doesNotMatch(listing, /sock/);
    const numeric = `${dir}/numeric.tar`;
    await exportTar(entries, source, numeric, { numericIds: true });
    assert.match(await runCommand("tar", ["-tvf", numeric]), /^-rw-r--r-- 12345\/12346 /m);
    Deno.mkdirSync(`${dir}/x`);
    await runCommand("tar", ["-xf", `${dir}/out.tar`, "-C", `${dir}/x`, "d/f", "d/g", "h"]);
    const inode = Deno.statSync(`${dir}/x/d/f`).ino;
    assert.equal(Deno.statSync(`${dir}/x/d/f`).nlink, 3);
    assert.deepEqual([Deno.statSync(`${dir}/x/d/g`).ino, Deno.statSync(`${dir}/x/h`).ino], [
      inode,
      inode,
    ]);
  });
});

Deno.test("exportZip() holds each hard link as a copy, and leaves fifos and devices out with a warning", async () => {
  await inTempDir(async (dir) => {
    const source = new MemoryChunkSource();
    const entries = linkedTree(source);
    const warnings: string[] = [];
    const result = await exportZip(entries, source, `${dir}/out.zip`, {
      onWarning: (path, reason) => warnings.push(`${path}: ${reason}`),
    });
    const counts = { files: 3, folders: 1, specialsSkipped: 2, sockets: 1, bytes: 90 };
    assert.deepEqual(result, { ...emptyTotals(), ...counts });
    assert.deepEqual(warnings, [
      "d/pipe: not written: a zip cannot hold a fifo",
      "d/null: not written: a zip cannot hold a chardev",
    ]);
    const reader = new ZipReader(new Uint8ArrayReader(Deno.readFileSync(`${dir}/out.zip`)));
    const read = await reader.getEntries();
    assert.deepEqual(read.map((z) => z.filename), ["d/", "d/f", "d/g", "h"]);
    for (const z of read.slice(1)) {
      assert.ok(!z.directory);
      assert.deepEqual(await z.getData(new Uint8ArrayWriter()), contentOf(source, entries[1]!));
    }
    await reader.close();
  });
});
