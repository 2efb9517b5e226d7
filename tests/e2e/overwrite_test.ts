/**
 * End to end: a pull into a destination that holds files already. By default it refuses a
 * non-empty DEST/NAME and an existing archive and changes nothing; `--overwrite`, `--delete` and
 * `--dry-run` decide and show what happens to what is there, skipped files are not fetched, and
 * nothing is followed through a symlink. A DEST that is a file gets a one-line explanation.
 */
import assert from "node:assert/strict";
import { addUser, clientOf, type RunResult, withServer } from "./_harness.ts";
import { assertSameTree } from "./_tree.ts";

const MiB = 1024 * 1024;

/** A small tree with a 3 MiB file, a folder, a nested folder and a symlink; fixed mtimes. */
async function makeSource(root: string): Promise<void> {
  await Deno.mkdir(`${root}/docs`, { recursive: true });
  await Deno.mkdir(`${root}/sub`);
  const big = new Uint8Array(3 * MiB);
  for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
  await Deno.writeFile(`${root}/big.bin`, big);
  await Deno.writeTextFile(`${root}/notes.txt`, "notes v1\n");
  await Deno.writeTextFile(`${root}/docs/a.txt`, "a v1\n");
  await Deno.writeTextFile(`${root}/docs/b.txt`, "b v1\n");
  await Deno.writeTextFile(`${root}/sub/c.txt`, "c v1\n");
  await Deno.symlink("notes.txt", `${root}/link`);
  for (const path of ["big.bin", "notes.txt", "docs/a.txt", "docs/b.txt", "sub/c.txt"]) {
    await Deno.utime(`${root}/${path}`, 1_700_000_000, 1_700_000_000);
  }
}

/** Every path under `root` with its type and (for files) content, to see that nothing changed. */
async function stateOf(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${rel}${entry.name}`;
      const full = `${dir}/${entry.name}`;
      const info = await Deno.lstat(full);
      if (info.isSymlink) out.push(`${path} -> ${await Deno.readLink(full)}`);
      else if (info.isDirectory) {
        out.push(`${path}/ ${info.mtime?.getTime()}`);
        await walk(full, `${path}/`);
      } else {
        const bytes = await Deno.readFile(full);
        out.push(`${path} ${info.mtime?.getTime()} ${bytes.length} ${bytes.subarray(0, 32)}`);
      }
    }
  };
  await walk(root, "");
  return out.sort();
}

/** A server where alice pushed `WORK/tree` (`makeSource`) and pulled it into `WORK/dest`. */
async function withPulledTree(
  body: (setup: {
    run: (args: string[]) => Promise<RunResult>;
    work: string;
    source: string;
    dest: string;
    tree: string;
  }) => Promise<void>,
): Promise<void> {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const source = `${work}/tree`;
    await makeSource(source);
    assertCode(await run(["push", source]), 0, "push");
    const dest = `${work}/dest`;
    assertCode(await run(["pull", dest]), 0, "first pull");
    await body({ run, work, source, dest, tree: `${dest}/tree` });
  });
}

function assertCode(result: RunResult, code: number, what: string): void {
  assert.equal(result.code, code, `${what}: ${result.stderr}`);
}

Deno.test("overwrite: pull refuses a non-empty DEST/NAME, an existing archive and a DEST that is a file, changing nothing", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    await makeSource(`${work}/tree`);
    assertCode(await run(["push", `${work}/tree`]), 0, "push");
    const dest = `${work}/dest`;
    assertCode(await run(["pull", dest]), 0, "first pull");
    await Deno.writeTextFile(`${dest}/tree/notes.txt`, "edited here\n");
    const before = await stateOf(dest);

    const again = await run(["pull", dest]);
    assertCode(again, 1, "pull into a non-empty DEST/NAME");
    assert.match(
      again.stderr,
      /^burrow: Cannot restore into ".*\/dest\/tree": the folder is not empty; .*--overwrite always\|if-changed\|if-newer\|never.*--dry-run/,
    );
    assert.equal(again.stderr.trim().split("\n").length, 1, again.stderr);
    assert.deepEqual(await stateOf(dest), before, "nothing changed");

    // An empty folder DEST/NAME is not in the way.
    await Deno.mkdir(`${work}/empty/tree`, { recursive: true });
    assertCode(await run(["pull", `${work}/empty`]), 0, "pull into an empty DEST/NAME");
    await assertSameTree(`${work}/tree`, `${work}/empty/tree`);

    // A file snapshot's destination is DEST/FILE.
    await Deno.writeTextFile(`${work}/single.txt`, "one file\n");
    assertCode(await run(["push", `${work}/single.txt`]), 0, "push a file");
    const files = `${work}/files`;
    assertCode(await run(["pull", files, "--name", "single.txt"]), 0, "pull a file");
    await Deno.writeTextFile(`${files}/single.txt`, "changed\n");
    const single = await run(["pull", files, "--name", "single.txt"]);
    assertCode(single, 1, "pull a file over an existing one");
    assert.match(single.stderr, /Cannot restore into ".*\/files\/single\.txt": it exists; /);
    assert.equal(await Deno.readTextFile(`${files}/single.txt`), "changed\n");

    // An archive is replaced only with --overwrite always.
    const zip = `${work}/kept.zip`;
    await Deno.writeTextFile(zip, "not to be lost\n");
    for (const extra of [[], ["--overwrite", "never"], ["--overwrite", "if-changed"]]) {
      const refused = await run(["pull", zip, "--name", "tree", ...extra]);
      assertCode(refused, 1, `pull over an archive ${extra.join(" ")}`);
      assert.match(
        refused.stderr,
        /^burrow: Cannot write ".*\/kept\.zip": it exists; add --overwrite always to replace it, or give another name\n$/,
      );
      assert.equal(await Deno.readTextFile(zip), "not to be lost\n");
    }
    assertCode(await run(["pull", zip, "--name", "tree", "--overwrite", "always"]), 0, "replace");
    assert.deepEqual((await Deno.readFile(zip)).subarray(0, 2), new Uint8Array([0x50, 0x4b]));
  });
});

Deno.test("overwrite: pull into a DEST that is a file, or is under one, says so in one line", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    await Deno.mkdir(`${work}/tree`);
    await Deno.writeTextFile(`${work}/tree/a.txt`, "a\n");
    assertCode(await run(["push", `${work}/tree`]), 0, "push");
    const file = `${work}/a-file`;
    await Deno.writeTextFile(file, "x");
    const onFile = await run(["pull", file, "--name", "tree"]);
    assertCode(onFile, 1, "pull into a file");
    assert.equal(
      onFile.stderr,
      `burrow: Cannot restore into "${file}": it is a file; give a folder, or a name ending in .zip or .tar\n`,
    );
    const underFile = await run(["pull", `${file}/deeper/still`, "--name", "tree"]);
    assertCode(underFile, 1, "pull under a file");
    assert.equal(
      underFile.stderr,
      `burrow: Cannot restore into "${file}/deeper/still": "${file}" is a file; give a folder, or a name ending in .zip or .tar\n`,
    );
    assert.equal(await Deno.readTextFile(file), "x");
  });
});

Deno.test("overwrite: --overwrite never, if-newer and if-changed, --delete and --dry-run do what they say and fetch no skipped file", async () => {
  await withPulledTree(async ({ run, work, source, dest, tree }) => {
    // Edited here: notes.txt now (newer than the snapshot), docs/a.txt with an old mtime.
    await Deno.writeTextFile(`${tree}/notes.txt`, "edited here\n");
    await Deno.writeTextFile(`${tree}/docs/a.txt`, "old local\n");
    await Deno.utime(`${tree}/docs/a.txt`, 1_000_000_000, 1_000_000_000);
    // Extra: a file, a folder with a file, a symlink to a folder outside, and a file beside NAME.
    await Deno.writeTextFile(`${tree}/extra.txt`, "extra\n");
    await Deno.mkdir(`${tree}/sub/extra-dir`);
    await Deno.writeTextFile(`${tree}/sub/extra-dir/x.txt`, "x\n");
    await Deno.mkdir(`${work}/outside`);
    await Deno.writeTextFile(`${work}/outside/keep.txt`, "keep\n");
    await Deno.symlink(`${work}/outside`, `${tree}/docs/out-link`);
    await Deno.writeTextFile(`${dest}/beside.txt`, "beside\n");

    const before = await stateOf(work);
    const dry = await run(["pull", dest, "--overwrite", "if-newer", "--delete", "--dry-run"]);
    assertCode(dry, 0, "dry run");
    const lines = dry.stdout.trim().split("\n");
    assert.ok(lines.includes("overwrite tree/docs/a.txt"), dry.stdout);
    assert.ok(lines.some((l) => /^skip +tree\/notes\.txt \(.*newer.*\)$/.test(l)), dry.stdout);
    assert.ok(lines.some((l) => /^skip +tree\/big\.bin /.test(l)), dry.stdout);
    for (const deleted of ["tree/extra.txt", "tree/sub/extra-dir/", "tree/docs/out-link"]) {
      assert.ok(lines.some((l) => new RegExp(`^delete +${deleted}$`).test(l)), dry.stdout);
    }
    assert.ok(!lines.some((l) => l.includes("beside.txt")), "DEST itself is not cleaned");
    assert.ok(!lines.some((l) => l.includes("keep.txt")), "the symlink is not followed");
    assert.match(lines.at(-1)!, /dry run: .*1 to overwrite.*3 to delete.*nothing was written/);
    assert.deepEqual(await stateOf(work), before, "a dry run writes nothing");
    const dryJson = await run(["pull", dest, "--overwrite", "always", "--dry-run", "--json"]);
    assertCode(dryJson, 0, "dry run --json");
    const planned = JSON.parse(dryJson.stdout);
    assert.equal(planned.dryRun, true);
    assert.ok(planned.overwritten >= 6, dryJson.stdout);
    assert.ok(planned.bytesReceived < 64 * 1024, "a dry run fetches no file data");
    assert.deepEqual(await stateOf(work), before, "a dry run writes nothing");

    assertCode(await run(["pull", dest, "--overwrite", "never"]), 0, "never");
    assert.deepEqual(await stateOf(work), before, "--overwrite never changes nothing here");

    const newer = await run(["pull", dest, "--overwrite", "if-newer", "--json"]);
    assertCode(newer, 0, "if-newer");
    assert.equal(await Deno.readTextFile(`${tree}/docs/a.txt`), "a v1\n");
    assert.equal(await Deno.readTextFile(`${tree}/notes.txt`), "edited here\n");

    const changed = await run(["pull", dest, "--overwrite", "if-changed", "--json"]);
    assertCode(changed, 0, "if-changed");
    const summary = JSON.parse(changed.stdout);
    assert.equal(await Deno.readTextFile(`${tree}/notes.txt`), "notes v1\n");
    assert.equal(summary.overwritten, 1, changed.stdout);
    assert.ok(summary.skipped >= 5, changed.stdout);
    assert.ok(
      summary.bytesReceived < 1 * MiB,
      `unchanged files are not fetched: ${changed.stdout}`,
    );
    assert.ok((await Deno.lstat(`${tree}/extra.txt`)).isFile, "without --delete extras stay");

    const deleted = await run(["pull", dest, "--overwrite", "if-changed", "--delete"]);
    assertCode(deleted, 0, "--delete");
    await assertSameTree(source, tree);
    assert.equal(await Deno.readTextFile(`${work}/outside/keep.txt`), "keep\n");
    assert.equal(await Deno.readTextFile(`${dest}/beside.txt`), "beside\n");
  });
});

Deno.test("overwrite: a folder, file or symlink of another type in the way is replaced only as asked, never followed", async () => {
  await withPulledTree(async ({ run, work, source, dest, tree }) => {
    await Deno.mkdir(`${work}/outside`);
    await Deno.writeTextFile(`${work}/outside/keep.txt`, "keep\n");

    // A folder with a file where the snapshot has a file; a symlink to a folder outside where it
    // has a folder; a file where it has a folder.
    await Deno.remove(`${tree}/notes.txt`);
    await Deno.mkdir(`${tree}/notes.txt`);
    await Deno.writeTextFile(`${tree}/notes.txt/inner.txt`, "mine\n");
    await Deno.remove(`${tree}/docs`, { recursive: true });
    await Deno.symlink(`${work}/outside`, `${tree}/docs`);
    await Deno.remove(`${tree}/sub`, { recursive: true });
    await Deno.writeTextFile(`${tree}/sub`, "a file now\n");

    const always = await run(["pull", dest, "--overwrite", "always"]);
    assertCode(always, 1, "a non-empty folder in the way, without --delete");
    assert.match(
      always.stderr,
      /warning: tree\/notes\.txt: a folder that is not empty is in its place; --delete replaces it/,
    );
    assert.match(always.stderr, /burrow: 1 entry was not restored/);
    assert.equal(await Deno.readTextFile(`${tree}/notes.txt/inner.txt`), "mine\n");
    assert.ok((await Deno.lstat(`${tree}/docs`)).isDirectory, "the symlink became a folder");
    assert.equal(await Deno.readTextFile(`${tree}/docs/a.txt`), "a v1\n");
    assert.deepEqual([...Deno.readDirSync(`${work}/outside`)].map((e) => e.name), ["keep.txt"]);
    assert.equal(await Deno.readTextFile(`${tree}/sub/c.txt`), "c v1\n");

    assertCode(await run(["pull", dest, "--overwrite", "always", "--delete"]), 0, "--delete");
    await assertSameTree(source, tree);
    assert.deepEqual([...Deno.readDirSync(`${work}/outside`)].map((e) => e.name), ["keep.txt"]);
  });
});
