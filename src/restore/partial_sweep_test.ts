import assert from "node:assert/strict";
import { inTempDir } from "../../tests/_testing.ts";
import { FolderWriter } from "./_folder_writer.ts";
import { entry } from "./_restore_test_util.ts";
import { isArchivePartialName, isRestorePartialName, removePartials } from "./partial_sweep.ts";

Deno.test("isRestorePartialName() accepts exactly the temp names a restore makes", () => {
  const writer = new FolderWriter("/dest");
  for (const path of ["a.txt", "docs/Grüße 🦊.txt", `x/${"long".repeat(30)}`, ".hidden", "a\nb"]) {
    const { temp } = writer.fileTarget(entry(path, "file"));
    assert.ok(isRestorePartialName(temp.slice(temp.lastIndexOf("/") + 1)), temp);
  }
  for (
    const name of [
      "a.txt",
      "a.txt.burrow-partial-0123abcd-1", // no leading dot
      ".a.txt.burrow-partial-0123abcd", // no counter
      ".a.txt.burrow-partial-0123abcd-0", // counters start at 1
      ".a.txt.burrow-partial-0123ABCD-1", // tags are lowercase hex
      ".a.txt.burrow-partial-0123abc-1", // tag too short
      ".a.txt.burrow-partial-0123abcd-1.bak",
      "..burrow-partial-0123abcd-1", // no name
    ]
  ) assert.equal(isRestorePartialName(name), false, name);
});

Deno.test("isArchivePartialName() accepts DEST.partial-XXXXXXXX of that DEST only", () => {
  assert.ok(isArchivePartialName("docs.zip.partial-0123abcd", "docs.zip"));
  for (
    const name of [
      "docs.zip",
      "docs.zip.partial-0123abc",
      "docs.zip.partial-0123abcde",
      "docs.zip.partial-0123ABCD",
      "other.zip.partial-0123abcd",
      "xdocs.zip.partial-0123abcd",
      "docs.zip.partial-0123abcd.old",
    ]
  ) assert.equal(isArchivePartialName(name, "docs.zip"), false, name);
});

Deno.test("removePartials() removes matching files and symlinks, never a folder or a link's target", async () => {
  await inTempDir((dir) => {
    const partial = ".a.txt.burrow-partial-0123abcd-1";
    const linkPartial = ".l.burrow-partial-0123abcd-2";
    const folderPartial = ".d.burrow-partial-0123abcd-3";
    Deno.writeTextFileSync(`${dir}/${partial}`, "half a file");
    Deno.writeTextFileSync(`${dir}/target`, "kept");
    Deno.symlinkSync(`${dir}/target`, `${dir}/${linkPartial}`);
    Deno.mkdirSync(`${dir}/${folderPartial}`);
    Deno.writeTextFileSync(`${dir}/a.txt`, "kept");
    assert.equal(removePartials(dir, isRestorePartialName), 2);
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(left, [folderPartial, "a.txt", "target"].sort());
    assert.equal(Deno.readTextFileSync(`${dir}/target`), "kept");
    return Promise.resolve();
  });
});
