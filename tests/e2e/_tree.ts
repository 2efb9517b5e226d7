/**
 * Test trees for end-to-end backups: build one with every kind of entry, and compare two trees
 * by content, modes, mtimes (to the second) and symlink targets.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Writes a small tree with every kind of entry under `root`; returns the marker text it holds. */
export async function makeTree(root: string): Promise<string> {
  const marker = `burrow-marker-${crypto.randomUUID()}`;
  await Deno.mkdir(`${root}/docs/deep/er`, { recursive: true });
  await Deno.mkdir(`${root}/empty folder`, { recursive: true });
  await Deno.writeTextFile(`${root}/docs/note.txt`, `${marker}\n${"hello burrow\n".repeat(2000)}`);
  await Deno.writeTextFile(`${root}/docs/deep/er/naïve café.txt`, "UTF-8 name\n");
  await Deno.writeFile(`${root}/empty.bin`, new Uint8Array(0));
  const random = new Uint8Array(3 * 1024 * 1024 + 123);
  for (let i = 0; i < random.length; i += 65536) {
    crypto.getRandomValues(random.subarray(i, i + 65536));
  }
  await Deno.writeFile(`${root}/docs/random.bin`, random);
  await Deno.writeTextFile(`${root}/script.sh`, "#!/bin/sh\necho hi\n");
  await Deno.chmod(`${root}/script.sh`, 0o750);
  await Deno.chmod(`${root}/docs/note.txt`, 0o640);
  await Deno.symlink("docs/note.txt", `${root}/link to note`);
  await Deno.utime(`${root}/docs/note.txt`, 1_600_000_000, 1_600_000_000);
  await Deno.utime(`${root}/docs/deep`, 1_500_000_000, 1_500_000_000);
  return marker;
}

async function* walk(root: string, rel = ""): AsyncGenerator<string> {
  const names: string[] = [];
  for await (const e of Deno.readDir(rel === "" ? root : `${root}/${rel}`)) names.push(e.name);
  for (const name of names.sort()) {
    const path = rel === "" ? name : `${rel}/${name}`;
    yield path;
    if ((await Deno.lstat(`${root}/${path}`)).isDirectory) yield* walk(root, path);
  }
}

/** Asserts that `actual` holds the same tree as `expected`, the roots' own mode and mtime included. */
export async function assertSameTree(expected: string, actual: string): Promise<void> {
  const want: string[] = [];
  for await (const p of walk(expected)) want.push(p);
  const got: string[] = [];
  for await (const p of walk(actual)) got.push(p);
  assert.deepEqual(got, want);
  for (const path of ["", ...want]) {
    const a = await Deno.lstat(path === "" ? expected : `${expected}/${path}`);
    const b = await Deno.lstat(path === "" ? actual : `${actual}/${path}`);
    assert.equal(b.isSymlink, a.isSymlink, path);
    if (a.isSymlink) {
      assert.equal(
        await Deno.readLink(`${actual}/${path}`),
        await Deno.readLink(`${expected}/${path}`),
      );
      continue;
    }
    assert.equal((b.mode ?? 0) & 0o7777, (a.mode ?? 0) & 0o7777, `mode of ${path}`);
    assert.equal(
      Math.floor(b.mtime!.getTime() / 1000),
      Math.floor(a.mtime!.getTime() / 1000),
      `mtime of ${path}`,
    );
    if (a.isFile) {
      assert.deepEqual(
        await Deno.readFile(`${actual}/${path}`),
        await Deno.readFile(`${expected}/${path}`),
        path,
      );
    }
  }
}

/** Whether any file under `dir` contains `text` (as raw bytes). */
export async function treeContains(dir: string, text: string): Promise<boolean> {
  const needle = new TextEncoder().encode(text);
  for await (const path of walk(dir)) {
    const full = `${dir}/${path}`;
    if (!(await Deno.lstat(full)).isFile) continue;
    const bytes = await Deno.readFile(full);
    if (indexOf(bytes, needle) >= 0) return true;
  }
  return false;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
