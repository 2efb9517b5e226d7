/**
 * End to end: names that are not valid UTF-8 (Linux allows any bytes but `/` and NUL). Each is
 * left out with a warning naming it escaped, the push saves its snapshot and exits 1; nothing
 * is stored under a changed name, and a name that really holds U+FFFD is kept.
 */
import assert from "node:assert/strict";
import { addUser, clientOf, withServer } from "./_harness.ts";

Deno.test("odd names: a name of raw bytes is skipped with a warning, a real U+FFFD name kept, the rest pushed", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const source = `${work}/project`;
    await Deno.mkdir(`${source}/sub`, { recursive: true });
    // bad\xff.txt and bad\xef\xbf\xbd.txt (U+FFFD in UTF-8) both list as "bad\uFFFD.txt" in Deno.
    const script = "printf raw > $'bad\\xff.txt' && printf real > $'bad\\xef\\xbf\\xbd.txt' && " +
      "mkdir $'dir\\xc3' && printf inside > $'dir\\xc3/inside.txt'";
    const made = new Deno.Command("bash", { args: ["-c", script], cwd: source }).outputSync();
    assert.ok(made.success, new TextDecoder().decode(made.stderr));
    await Deno.writeTextFile(`${source}/notes.txt`, "notes\n");
    await Deno.writeTextFile(`${source}/sub/keep.txt`, "keep\n");

    const pushed = await run(["push", source]);
    assert.equal(pushed.code, 1, pushed.stderr);
    const warnings = pushed.stderr.split("\n").filter((line) => line.startsWith("warning: "));
    assert.deepEqual(warnings, [
      "warning: bad\\xff.txt: Cannot back up entry: its name is not valid UTF-8, skipped",
      "warning: dir\\xc3: Cannot back up entry: its name is not valid UTF-8, skipped",
    ]);
    assert.match(
      pushed.stderr,
      /burrow: Cannot back up 2 entries as found \(see the warnings above\): snapshot [0-9a-f]{16} was saved, incomplete/,
    );
    assert.match(pushed.stdout, /files: 3 new, .*\(2 with warnings\)/);

    const listed = await run(["ls", "latest", "--recursive"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.stdout.trim().split("\n"), [
      "bad\uFFFD.txt",
      "notes.txt",
      "sub",
      "sub/keep.txt",
    ]);
    const pulled = await run(["pull", `${work}/out`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const out = `${work}/out/project`;
    assert.deepEqual([...Deno.readDirSync(out)].map((entry) => entry.name).sort(), [
      "bad\uFFFD.txt",
      "notes.txt",
      "sub",
    ]);
    assert.equal(await Deno.readTextFile(`${out}/bad\uFFFD.txt`), "real", "the real U+FFFD file");
    assert.equal(await Deno.readTextFile(`${out}/sub/keep.txt`), "keep\n");
  });
});
