import assert from "node:assert/strict";
import {
  kindName,
  modeText,
  mtimeText,
  nameOf,
  ownerText,
  pathText,
  sizeText,
} from "./entry_text.ts";

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

Deno.test("modeText(), sizeText(), ownerText() and pathText() show hard links, special files and owners", () => {
  assert.equal(modeText({ type: "hardlink", mode: 0o644 }), "-rw-r--r--");
  assert.equal(modeText({ type: "fifo", mode: 0o600 }), "prw-------");
  assert.equal(modeText({ type: "socket", mode: 0o755 }), "srwxr-xr-x");
  assert.equal(modeText({ type: "chardev", mode: 0o666 }), "crw-rw-rw-");
  assert.equal(modeText({ type: "blockdev", mode: 0o660 }), "brw-rw----");
  assert.equal(sizeText({ type: "hardlink", size: 2048 }), "2.0 KiB");
  assert.equal(sizeText({ type: "chardev", size: 0, device: { major: 1, minor: 3 } }), "1, 3");
  assert.equal(sizeText({ type: "fifo", size: 0 }), "");
  const owner = { uid: 1000, gid: 100, user: "alice", group: "" };
  assert.equal(ownerText({ owner }), "alice/100");
  assert.equal(ownerText({}), "-");
  assert.equal(
    pathText({ type: "hardlink", path: "a/b", target: "a/c" }),
    "a/b (hard link to a/c)",
  );
  assert.equal(pathText({ type: "symlink", path: "l", target: "x" }), "l -> x");
  assert.equal(kindName("chardev"), "character device");
});
