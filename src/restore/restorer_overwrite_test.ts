import assert from "node:assert/strict";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { type PlanEvent, type RestoreOptions, restoreToFolder } from "./restorer.ts";
import { assertTree, entry, fileEntry, MemoryChunkSource } from "./_restore_test_util.ts";
import { inTempDir } from "../../tests/_testing.ts";

const T = 1_600_000_000_000_000_000n;

/** A folder "top" with files a (2 chunks), b, c, a folder "top/sub" with d, and a symlink. */
function tree(): { source: MemoryChunkSource; entries: TreeEntry[] } {
  const source = new MemoryChunkSource();
  const entries = [
    entry("top", "dir"),
    fileEntry(source, "top/a", [10, 20], { mtimeNs: T }),
    fileEntry(source, "top/b", [5], { mtimeNs: T }),
    fileEntry(source, "top/c", [7], { mtimeNs: T }),
    entry("top/sub", "dir"),
    fileEntry(source, "top/sub/d", [3], { mtimeNs: T }),
    entry("top/link", "symlink", { target: "a" }),
  ];
  return { source, entries };
}

/** Every path under `dir` with its type, size and mtime: what a dry run must not change. */
function state(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const item of Deno.readDirSync(dir)) {
    const path = `${rel}${item.name}`;
    const info = Deno.lstatSync(`${dir}/${item.name}`);
    out.push(`${path} ${item.isDirectory ? "d" : item.isSymlink ? "l" : "f"} ${info.size}`);
    if (item.isDirectory) out.push(...state(`${dir}/${item.name}`, `${path}/`));
  }
  return out.sort();
}

async function restore(
  entries: TreeEntry[],
  source: MemoryChunkSource,
  dest: string,
  options: RestoreOptions,
) {
  const events: string[] = [];
  const onPlan = (e: PlanEvent) => events.push(`${e.action} ${e.path}`);
  source.asked = 0;
  const result = await restoreToFolder(entries, source, dest, { ...options, onPlan });
  return { result, events, asked: source.asked };
}

Deno.test("restoreToFolder() with if-changed fetches only the files that changed", async () => {
  await inTempDir(async (dir) => {
    const { source, entries } = tree();
    await restoreToFolder(entries, source, dir);
    Deno.writeTextFileSync(`${dir}/top/b`, "other");
    Deno.utimeSync(`${dir}/top/c`, 1, 1);
    Deno.chmodSync(`${dir}/top/sub/d`, 0o600);
    const { result, events, asked } = await restore(entries, source, dir, {
      overwrite: "if-changed",
    });
    assert.deepEqual(events, [
      "skip top/a",
      "overwrite top/b",
      "overwrite top/c",
      "overwrite top/sub/d",
      "skip top/link",
    ]);
    assert.equal(asked, 3, "a's two chunks are not asked for");
    assert.equal(result.files, 3);
    assert.equal(result.skipped, 2);
    assertTree(dir, source, entries);
  });
});

Deno.test("restoreToFolder() with never and if-newer keeps what is there, a symlink in a folder's place and all under it", async () => {
  await inTempDir(async (dir) => {
    const { source, entries } = tree();
    const outside = `${dir}/outside`;
    Deno.mkdirSync(outside);
    const dest = `${dir}/dest`;
    Deno.mkdirSync(`${dest}/top`, { recursive: true });
    Deno.writeTextFileSync(`${dest}/top/a`, "mine");
    Deno.symlinkSync(outside, `${dest}/top/sub`);
    const never = await restore(entries, source, dest, { overwrite: "never" });
    assert.deepEqual(never.events, [
      "skip top/a",
      "create top/b",
      "create top/c",
      "skip top/sub",
      "create top/link",
    ]);
    assert.equal(never.result.skipped, 3, "top/sub and what is under it");
    assert.equal(never.asked, 2);
    assert.deepEqual(state(outside), [], "nothing went through the symlink");
    assert.equal(Deno.readTextFileSync(`${dest}/top/a`), "mine");

    Deno.utimeSync(`${dest}/top/b`, 1, 1); // older than the snapshot's
    const newer = await restore(entries, source, dest, { overwrite: "if-newer" });
    assert.ok(newer.events.includes("overwrite top/b"), newer.events.join());
    assert.ok(newer.events.includes("skip top/a"), "a was written after the snapshot's mtime");
    assert.ok(newer.events.includes("skip top/c"), "c has the snapshot's mtime");
    assert.equal(newer.asked, 1);
  });
});

Deno.test("restoreToFolder() replaces a folder that is not empty by a file only with delete", async () => {
  await inTempDir(async (dir) => {
    const { source, entries } = tree();
    await restoreToFolder(entries, source, dir);
    Deno.removeSync(`${dir}/top/b`);
    Deno.mkdirSync(`${dir}/top/b/inner`, { recursive: true });
    Deno.removeSync(`${dir}/top/link`);
    Deno.mkdirSync(`${dir}/top/link`); // empty: replaced without delete
    const warnings: string[] = [];
    const { result, events } = await restore(entries, source, dir, {
      overwrite: "always",
      onWarning: (path, reason) => warnings.push(`${path}: ${reason}`),
    });
    assert.equal(result.conflicts, 1);
    assert.deepEqual(warnings, [
      "top/b: a folder that is not empty is in its place; --delete replaces it",
    ]);
    assert.ok(events.includes("overwrite top/link"));
    assert.ok(Deno.lstatSync(`${dir}/top/b/inner`).isDirectory, "kept");
    assert.equal(Deno.readLinkSync(`${dir}/top/link`), "a");
    const again = await restore(entries, source, dir, { overwrite: "always", delete: true });
    assert.equal(again.result.conflicts, 0);
    assertTree(dir, source, entries);
  });
});

Deno.test("restoreToFolder() with delete removes what the snapshot lacks under its folders only, never through a symlink", async () => {
  await inTempDir(async (dir) => {
    const { source, entries } = tree();
    const outside = `${dir}/outside`;
    Deno.mkdirSync(`${outside}/deep`, { recursive: true });
    Deno.writeTextFileSync(`${outside}/deep/keep`, "keep");
    const dest = `${dir}/dest`;
    await restoreToFolder(entries, source, dest);
    Deno.writeTextFileSync(`${dest}/beside`, "DEST itself is not cleaned");
    Deno.writeTextFileSync(`${dest}/top/extra`, "x");
    Deno.mkdirSync(`${dest}/top/sub/more/deeper`, { recursive: true });
    Deno.symlinkSync(outside, `${dest}/top/sub/to-outside`);
    Deno.symlinkSync(`${outside}/deep`, `${dest}/top/sub/more/deeper/link`);
    const before = state(dir);
    const dry = await restore(entries, source, dest, {
      overwrite: "if-changed",
      delete: true,
      dryRun: true,
    });
    assert.deepEqual(state(dir), before, "a dry run writes nothing");
    assert.equal(dry.asked, 0, "a dry run fetches nothing");
    const real = await restore(entries, source, dest, { overwrite: "if-changed", delete: true });
    assert.deepEqual(real.events, dry.events, "the dry run said what the run does");
    assert.deepEqual(real.events.filter((e) => e.startsWith("delete")).sort(), [
      "delete top/extra",
      "delete top/sub/more",
      "delete top/sub/to-outside",
    ]);
    assert.equal(real.result.deleted, 3);
    assertTree(dest, source, entries);
    assert.deepEqual(state(`${dest}/top`).length, entries.length - 1);
    assert.equal(Deno.readTextFileSync(`${dest}/beside`), "DEST itself is not cleaned");
    assert.deepEqual(state(outside).map((line) => line.split(" ")[0]), ["deep", "deep/keep"]);
    assert.equal(Deno.readTextFileSync(`${outside}/deep/keep`), "keep");
  });
});

Deno.test("restoreToFolder() dry run reports a fresh DEST as created without creating it, and refuses what a run refuses", async () => {
  await inTempDir(async (dir) => {
    const { source, entries } = tree();
    const fresh = await restore(entries, source, `${dir}/new/dest`, { dryRun: true });
    assert.equal(fresh.events.length, entries.length);
    assert.ok(fresh.events.every((e) => e.startsWith("create ")));
    assert.deepEqual(state(dir), []);
    Deno.mkdirSync(`${dir}/top`);
    Deno.writeTextFileSync(`${dir}/top/a`, "x");
    await assert.rejects(
      restore(entries, source, dir, { dryRun: true }),
      /Cannot restore into ".*\/top": the folder is not empty/,
    );
    const escaping = [entry("top", "dir"), fileEntry(source, "top/../../x", [1])];
    await assert.rejects(
      restore(escaping, source, dir, { dryRun: true, overwrite: "always" }),
      /would leave DEST/,
    );
  });
});
