import assert from "node:assert/strict";
import type { EntryStatus } from "../fs_times.ts";
import { Selection, type SelectionRules, TAKE_EVERYTHING } from "./selection.ts";

function status(kind: "file" | "dir", extra: Partial<EntryStatus> = {}): EntryStatus {
  return {
    isFile: kind === "file",
    isDirectory: kind === "dir",
    isSymlink: false,
    special: undefined,
    mode: 0o644,
    size: 10,
    inode: 1,
    mtimeNs: 0n,
    device: 7,
    links: 1,
    uid: 0,
    gid: 0,
    rdev: { major: 0, minor: 0 },
    ...extra,
  };
}

function selection(rules: Partial<SelectionRules>): Selection {
  const chosen = new Selection({ ...TAKE_EVERYTHING, ...rules });
  chosen.begin(status("dir"));
  return chosen;
}

Deno.test("Selection takes everything by default", () => {
  const all = selection({});
  assert.ok(all.takes("a/b.log", status("file"), "/x/a/b.log"));
  assert.ok(all.takes("a", status("dir"), "/x/a"));
  assert.equal(all.excluded, 0);
});

Deno.test("Selection: patterns follow gitignore, folders only with a slash, anchored with a leading one", () => {
  const chosen = selection({ exclude: ["*.log", "!keep.log", "cache/", "/top", "docs/**/*.tmp"] });
  const takes = (path: string, kind: "file" | "dir" = "file") =>
    chosen.takes(path, status(kind), `/x/${path}`);
  assert.equal(takes("a.log"), false);
  assert.equal(takes("deep/er/b.log"), false);
  assert.equal(takes("keep.log"), true);
  assert.equal(takes("cache", "dir"), false);
  assert.equal(takes("cache"), true, "cache/ names folders only");
  assert.equal(takes("top", "dir"), false);
  assert.equal(takes("sub/top", "dir"), true, "/top is anchored at the root");
  assert.equal(takes("docs/a/b/c.tmp"), false);
  assert.equal(takes("other/c.tmp"), true);
  assert.equal(takes("A.LOG"), true, "--exclude matches with case");
  assert.equal(chosen.excluded, 5);
  const folded = selection({ iexclude: ["*.log"] });
  assert.equal(folded.takes("A.LOG", status("file"), "/x/A.LOG"), false);
});

Deno.test("Selection: one file system, a size limit, and a list of paths", () => {
  const mounts = selection({ oneFileSystem: true });
  assert.equal(mounts.takes("mnt", status("dir", { device: 8 }), "/x/mnt"), false);
  assert.equal(mounts.takes("home", status("dir", { device: 7 }), "/x/home"), true);
  const sized = selection({ excludeLargerThan: 100 });
  assert.equal(sized.takes("big", status("file", { size: 101 }), "/x/big"), false);
  assert.equal(sized.takes("fits", status("file", { size: 100 }), "/x/fits"), true);
  assert.equal(sized.takes("folder", status("dir", { size: 4096 }), "/x/folder"), true);
  const listed = selection({ only: ["docs/reports", "notes.txt"] });
  const takes = (path: string, kind: "file" | "dir" = "file") =>
    listed.takes(path, status(kind), `/x/${path}`);
  assert.equal(takes("docs", "dir"), true, "a folder on the way to a listed path");
  assert.equal(takes("docs/reports", "dir"), true);
  assert.equal(takes("docs/reports/q1.pdf"), true, "under a listed folder");
  assert.equal(takes("docs/other.txt"), false);
  assert.equal(takes("docs/reports-old", "dir"), false, "a prefix of a name is not a parent");
  assert.equal(takes("notes.txt"), true);
});
