import assert from "node:assert/strict";
import { modeText, mtimeText, nameOf, sizeText } from "./entry_text.ts";

Deno.test("modes show as ls -l shows them, special bits included", () => {
  assert.equal(modeText({ type: "dir", mode: 0o755 }), "drwxr-xr-x");
  assert.equal(modeText({ type: "file", mode: 0o640 }), "-rw-r-----");
  assert.equal(modeText({ type: "symlink", mode: 0o777 }), "lrwxrwxrwx");
  assert.equal(modeText({ type: "file", mode: 0o4755 }), "-rwsr-xr-x");
  assert.equal(modeText({ type: "file", mode: 0o2644 }), "-rw-r-Sr--");
  assert.equal(modeText({ type: "dir", mode: 0o1777 }), "drwxrwxrwt");
});

Deno.test("times show in UTC to the second, sizes only for files, names are the last part", () => {
  assert.equal(mtimeText(1_700_000_000_123_456_789n), "2023-11-14 22:13:20Z");
  assert.equal(sizeText({ type: "file", size: 1536 }), "1.5 KiB");
  assert.equal(sizeText({ type: "dir", size: 0 }), "");
  assert.equal(nameOf("a/b/c d.txt"), "c d.txt");
  assert.equal(nameOf("top"), "top");
});
