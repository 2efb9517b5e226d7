/**
 * End to end: what a push takes from its tree. Exclude patterns with gitignore's rules (a
 * pattern file, case-insensitive patterns), cache folders, a size limit, a list of paths, and a
 * dry run that reads and chunks but sends and saves nothing; each snapshot pulled back holds
 * exactly what was taken.
 */
import assert from "node:assert/strict";
import { addUser, burrow, clientOf, withServer } from "./_harness.ts";

const CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# a cache folder\n";

/** Writes `files` (path → content) under `root`. */
async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const file = `${root}/${path}`;
    await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(file, content);
  }
}

/** `size` random (incompressible) bytes. */
function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  return bytes;
}

/** Every file path under `root`, relative, sorted. */
async function filesUnder(root: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${root}/${prefix}`)) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory) found.push(...await filesUnder(root, path));
    else found.push(path);
  }
  return found.sort();
}

Deno.test("push selection: gitignore patterns, a pattern file and case-insensitive patterns", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const alice = clientOf(server, "alice", "alice-pass");
    const root = `${work}/proj`;
    await writeTree(root, {
      "a.log": "1",
      "keep.log": "2",
      "src/b.log": "3",
      "src/main.ts": "4",
      "node_modules/pkg/index.js": "5",
      "src/node_modules/x.js": "6",
      "build/out.bin": "7",
      "src/build/kept.txt": "8",
      "photos/IMG.JPG": "9",
      "photos/notes.txt": "10",
      "tmp/scratch": "11",
    });
    await Deno.writeTextFile(`${work}/excludes`, "# scratch space\n\ntmp/\n");
    const pushed = await alice([
      "push",
      root,
      "--exclude",
      "*.log",
      "--exclude",
      "!keep.log",
      "--exclude",
      "node_modules/",
      "--exclude",
      "/build",
      "--exclude-file",
      `${work}/excludes`,
      "--iexclude",
      "*.jpg",
    ]);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout, /; 7 entries excluded$/m);
    const pulled = await alice(["pull", `${work}/out`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.deepEqual(await filesUnder(`${work}/out/proj`), [
      "keep.log",
      "photos/notes.txt",
      "src/build/kept.txt",
      "src/main.ts",
    ]);
  });
});

Deno.test("push selection: cache folders, a size limit and a list of paths", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const alice = clientOf(server, "alice", "alice-pass");
    const root = `${work}/home`;
    await writeTree(root, {
      ".cache/CACHEDIR.TAG": CACHEDIR_TAG,
      ".cache/blob": "cached",
      "fake-cache/CACHEDIR.TAG": "not the signature\n",
      "docs/small.txt": "small",
      "docs/big.bin": "x".repeat(5000),
      "music/song.ogg": "la",
      "music/other.ogg": "la la",
    });
    const cached = await alice([
      "push",
      root,
      "--name",
      "caches",
      "--exclude-caches",
      "--exclude-larger-than",
      "1KiB",
      "--json",
    ]);
    assert.equal(cached.code, 0, cached.stderr);
    assert.equal(JSON.parse(cached.stdout).excluded, 2);
    assert.equal((await alice(["pull", `${work}/a`, "--name", "caches"])).code, 0);
    assert.deepEqual(await filesUnder(`${work}/a/home`), [
      "docs/small.txt",
      "fake-cache/CACHEDIR.TAG",
      "music/other.ogg",
      "music/song.ogg",
    ]);

    await Deno.writeTextFile(`${work}/list`, `# what matters\n${root}/docs\nmusic/song.ogg\n`);
    // A relative path in the list is taken from the current folder.
    const listed = await burrow(
      [
        "push",
        root,
        "--name",
        "listed",
        "--files-from",
        `${work}/list`,
        ...server.clientArgs("alice"),
      ],
      { env: { BURROW_PASSWORD: "alice-pass" }, cwd: root },
    );
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal((await alice(["pull", `${work}/b`, "--name", "listed"])).code, 0);
    assert.deepEqual(await filesUnder(`${work}/b/home`), [
      "docs/big.bin",
      "docs/small.txt",
      "music/song.ogg",
    ]);
  });
});

Deno.test("push selection: bad flags fail in one line and send nothing", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const alice = clientOf(server, "alice", "alice-pass");
    await writeTree(`${work}/docs`, { "a.txt": "a" });
    await Deno.writeTextFile(`${work}/outside`, `${work}/elsewhere\n`);
    const cases: [string[], number, RegExp][] = [
      [["--exclude-larger-than", "lots"], 2, /--exclude-larger-than "lots": expected a size/],
      [["--files-from", `${work}/outside`], 2, /it is not inside/],
      [
        ["--exclude-file", `${work}/missing`],
        1,
        /Cannot read --exclude-file ".*": it does not exist/,
      ],
    ];
    for (const [flags, code, message] of cases) {
      const result = await alice(["push", `${work}/docs`, ...flags]);
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    }
    assert.equal((await alice(["snapshots", "--json"])).stdout.trim(), "[]");
  });
});

Deno.test("push --dry-run reads and chunks, says what it would send, and sends and saves nothing", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const alice = clientOf(server, "alice", "alice-pass");
    const data = randomBytes(3 * 1024 * 1024);
    await Deno.mkdir(`${work}/docs`);
    await Deno.writeFile(`${work}/docs/data.bin`, data);

    const first = await alice(["push", `${work}/docs`, "--dry-run", "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const planned = JSON.parse(first.stdout);
    assert.equal(planned.dryRun, true);
    assert.equal(planned.snapshot, undefined);
    assert.ok(planned.bytesSent >= data.length, `would send ${planned.bytesSent}`);
    assert.equal((await alice(["snapshots", "--json"])).stdout.trim(), "[]");
    const text = await alice(["push", `${work}/docs`, "--dry-run"]);
    assert.match(
      text.stdout,
      /^dry run: nothing was sent and no snapshot of set "docs" was saved$/m,
    );

    const real = await alice(["push", `${work}/docs`, "--json"]);
    assert.equal(real.code, 0, real.stderr);
    assert.ok(JSON.parse(real.stdout).bytesSent >= data.length, "the dry run stored nothing");
    await Deno.writeTextFile(`${work}/docs/new.txt`, "one new small file\n");
    const again = JSON.parse((await alice(["push", `${work}/docs`, "--dry-run", "--json"])).stdout);
    assert.equal(again.filesNew, 1);
    assert.ok(again.bytesSent < 1024, `only the new file: ${again.bytesSent}`);
    assert.equal(JSON.parse((await alice(["snapshots", "--json"])).stdout).length, 1);
  });
});

Deno.test("push --stdin stores a stream as one file, and a second dump sends only what changed", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const alice = clientOf(server, "alice", "alice-pass");
    const dump = randomBytes(4 * 1024 * 1024);
    const push = (bytes: Uint8Array) =>
      burrow(
        [
          "push",
          "--stdin",
          "--stdin-filename",
          "mydb.sql",
          "--name",
          "db",
          "--json",
          ...server
            .clientArgs("alice"),
        ],
        { env: { BURROW_PASSWORD: "alice-pass" }, stdin: bytes },
      );
    const first = await push(dump);
    assert.equal(first.code, 0, first.stderr);
    assert.ok(JSON.parse(first.stdout).bytesSent >= dump.length);
    const changed = dump.slice();
    changed.set(new TextEncoder().encode("a row that changed"), 2 * 1024 * 1024);
    const second = await push(changed);
    assert.equal(second.code, 0, second.stderr);
    assert.ok(
      JSON.parse(second.stdout).bytesSent < dump.length / 2,
      `sent ${JSON.parse(second.stdout).bytesSent} of ${dump.length}`,
    );
    const listed = JSON.parse((await alice(["snapshots", "--json"])).stdout);
    assert.deepEqual(listed.map((s: { set: string }) => s.set), ["db", "db"]);
    assert.equal(listed[1].source, "stdin:mydb.sql");
    assert.equal((await alice(["pull", `${work}/out`])).code, 0);
    assert.deepEqual(await Deno.readFile(`${work}/out/mydb.sql`), changed);

    const both = await burrow([
      "push",
      `${work}/out`,
      "--stdin",
      "--stdin-filename",
      "x",
      ...server.clientArgs("alice"),
    ], {
      env: { BURROW_PASSWORD: "alice-pass" },
    });
    assert.equal(both.code, 2);
    assert.equal(both.stderr, "burrow: Cannot push: give either PATH or --stdin, not both\n");
    const unnamed = await burrow(["push", "--stdin", ...server.clientArgs("alice")], {
      env: { BURROW_PASSWORD: "alice-pass" },
    });
    assert.equal(unnamed.code, 2);
    assert.match(unnamed.stderr, /give the name to store it as with --stdin-filename/);
  });
});
