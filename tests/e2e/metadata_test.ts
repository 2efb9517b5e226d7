/**
 * End to end: metadata a restore must bring back exactly. Modification times keep their
 * nanoseconds (files, folders, symlinks and the pushed folder itself); a push that has to skip an
 * entry (a file it cannot read) saves its snapshot and then exits 1, so scripts notice.
 */
import assert from "node:assert/strict";
import { lstatEntry, setModificationTime } from "../../src/fs_times.ts";
import { addUser, burrow, clientOf, withServer } from "./_harness.ts";
import { makeTree } from "./_tree.ts";

/** Every path under `root` (itself included as ""), each with its mtime in nanoseconds. */
function timesUnder(root: string, rel = ""): Map<string, bigint> {
  const times = new Map([[rel, lstatEntry(rel === "" ? root : `${root}/${rel}`).mtimeNs]]);
  const folder = rel === "" ? root : `${root}/${rel}`;
  if (!lstatEntry(folder).isDirectory) return times;
  for (const item of Deno.readDirSync(folder)) {
    const path = rel === "" ? item.name : `${rel}/${item.name}`;
    for (const [p, t] of timesUnder(root, path)) times.set(p, t);
  }
  return times;
}

Deno.test("metadata: modification times come back to the nanosecond", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const source = `${work}/project`;
    await makeTree(source);
    let n = 0n;
    // Deepest first, so setting a folder's time is the last change inside it.
    for (const path of [...timesUnder(source).keys()].sort((a, b) => b.length - a.length)) {
      const full = path === "" ? source : `${source}/${path}`;
      setModificationTime(full, 1_650_000_000_000_000_000n + 123_456_789n + n++ * 1_000_001n, true);
    }
    const before = timesUnder(source);
    assert.ok([...before.values()].every((t) => t % 1_000_000n !== 0n), "sub-millisecond times");
    assert.equal((await run(["push", source])).code, 0);
    const pulled = await run(["pull", `${work}/out`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.deepEqual(timesUnder(`${work}/out/project`), before);
  });
});

/** Root reads any file: its pushes run without the capabilities that override file modes. */
const BOUND_BY_MODES = Deno.uid() === 0
  ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
  : [];

Deno.test("metadata: a push that skips an unreadable file saves its snapshot, then exits 1", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const source = `${work}/project`;
    await makeTree(source);
    await Deno.writeTextFile(`${source}/secret.txt`, "not for burrow");
    await Deno.chmod(`${source}/secret.txt`, 0);
    const pushed = await burrow(["push", source, ...server.clientArgs("alice")], {
      env: { BURROW_PASSWORD: "alice-pass" },
      prefix: BOUND_BY_MODES,
    });
    assert.equal(pushed.code, 1, pushed.stderr);
    assert.match(pushed.stderr, /warning: secret\.txt: Cannot read file: permission denied/);
    assert.match(
      pushed.stderr,
      /burrow: Cannot back up 1 entry as found \(see the warnings above\): snapshot [0-9a-f]{16} was saved, incomplete/,
    );
    assert.match(pushed.stdout, /\(1 with warnings\)/);
    const listed = await run(["snapshots", "--json"]);
    assert.equal(JSON.parse(listed.stdout).length, 1, "the snapshot was saved");
    assert.equal(JSON.parse(listed.stdout)[0].incomplete, true);
    assert.match((await run(["snapshots"])).stdout, / \(incomplete\) /);
  });
});

Deno.test("metadata: a file that grows while it is read is kept as read, with a warning and exit 1", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const source = `${work}/project`;
    await Deno.mkdir(source);
    const log = `${source}/growing.log`;
    await Deno.writeFile(log, new Uint8Array(96 * 1024 * 1024).fill(7));
    let writing = true;
    const appender = (async () => {
      using file = await Deno.open(log, { append: true });
      while (writing) {
        await file.write(new TextEncoder().encode("line\n"));
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const pushed = await run(["push", source]);
    writing = false;
    await appender;
    assert.equal(pushed.code, 1, pushed.stderr);
    assert.match(
      pushed.stderr,
      /warning: growing\.log: it changed while it was read; the snapshot holds what was read/,
    );
    assert.match(pushed.stderr, /snapshot [0-9a-f]{16} was saved, incomplete/);
    const [listed] = JSON.parse((await run(["snapshots", "--json"])).stdout);
    assert.equal(listed.incomplete, true);
    const pulled = await run(["pull", `${work}/out`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const restored = await Deno.readFile(`${work}/out/project/growing.log`);
    assert.ok(restored.length >= 96 * 1024 * 1024, "what was read came back");
    assert.ok(restored.subarray(0, 96 * 1024 * 1024).every((b) => b === 7));
  });
});
