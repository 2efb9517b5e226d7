/**
 * End to end: owners and special files. A pull as root gives files their recorded owners (by
 * name where this machine knows it, else by number; `--numeric-ids` by number); a pull as another
 * user keeps what it restores its own and says so once; fifos, sockets and devices are backed up
 * as what they are and never opened; a fifo and a device come back (a device only as root: as
 * anyone else it is named in a warning, the rest is restored, and the pull exits 1); a socket is
 * not recreated.
 *
 * @module
 */
import assert from "node:assert/strict";
import { lstatEntry } from "../../src/fs_times.ts";
import { addUser, burrow, clientOf, withServer } from "./_harness.ts";
import { asNobody, NOBODY, nobodyProblem } from "./_as_nobody.ts";
import { runCommand } from "../_testing.ts";

const rootProblem = Deno.uid() === 0 ? null : `not running as root (uid ${Deno.uid()})`;
// deno-lint-ignore no-console -- a skipped test says why
if (nobodyProblem !== null) console.log(`owner and device tests skipped: ${nobodyProblem}`);

/** uid and gid of `path` itself. */
function ownerOf(path: string): [number, number] {
  const info = lstatEntry(path);
  return [info.uid, info.gid];
}

/**
 * A tree owned by 12345 (no name here) at its root, with a file of nobody's, a symlink and a
 * folder of 12345's, a fifo and a character device (1, 3: /dev/null's numbers).
 */
async function ownedTree(root: string): Promise<void> {
  await Deno.mkdir(`${root}/sub`, { recursive: true });
  await Deno.writeTextFile(`${root}/stranger.txt`, "owned by a number\n");
  await Deno.writeTextFile(`${root}/nobody.txt`, "owned by a name\n");
  await Deno.symlink("stranger.txt", `${root}/sub/link`);
  await runCommand("mkfifo", ["-m", "0620", `${root}/sub/pipe`]);
  await runCommand("mknod", ["-m", "0640", `${root}/sub/null`, "c", "1", "3"]);
  for (const path of ["stranger.txt", "sub", "sub/link", "sub/pipe", "sub/null", ""]) {
    await runCommand("chown", ["-h", "12345:12345", `${root}/${path}`]);
  }
  await Deno.chown(`${root}/nobody.txt`, NOBODY, NOBODY);
}

Deno.test({
  name: "owners: a pull as root gives recorded owners, by name or number, and --numeric-ids",
  ignore: rootProblem !== null,
}, async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const source = `${work}/owned`;
    await ownedTree(source);
    const pushed = await run(["push", source]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const listed = JSON.parse((await run(["ls", "latest", "nobody.txt", "--json"])).stdout);
    assert.deepEqual(listed.entries[0].owner, {
      uid: NOBODY,
      gid: NOBODY,
      user: "nobody",
      group: (await runCommand("id", ["-gn", "nobody"])).trim(),
    });
    for (const flags of [[], ["--numeric-ids"]]) {
      const out = `${work}/out${flags.length}`;
      const pulled = await run(["pull", out, ...flags]);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.doesNotMatch(pulled.stderr, /note:|warning:/);
      for (const path of ["", "/stranger.txt", "/sub", "/sub/link", "/sub/pipe", "/sub/null"]) {
        assert.deepEqual(ownerOf(`${out}/owned${path}`), [12345, 12345], `${path} ${flags}`);
      }
      assert.deepEqual(ownerOf(`${out}/owned/nobody.txt`), [NOBODY, NOBODY]);
    }
  });
});

Deno.test({
  name: "special files: a fifo and a device come back as root, a socket is not recreated",
  ignore: rootProblem !== null,
}, async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const source = `${work}/owned`;
    await ownedTree(source);
    const socket = Deno.listen({ transport: "unix", path: `${source}/sub/sock` });
    let pushed;
    try {
      pushed = await run(["push", source]); // a fifo opened for reading would block forever
    } finally {
      socket.close();
    }
    assert.equal(pushed.code, 0, pushed.stderr);
    const long = (await run(["ls", "latest", "sub", "--long"])).stdout;
    assert.match(long, /^crw-r----- +12345\/12345 +1, 3 .* sub\/null$/m);
    assert.match(long, /^prw--w---- .* sub\/pipe$/m);
    assert.match(long, /^srwx.* sub\/sock$/m);
    const pulled = await run(["pull", `${work}/out`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /fifos and devices: 2, sockets not recreated: 1/);
    const pipe = lstatEntry(`${work}/out/owned/sub/pipe`);
    const device = lstatEntry(`${work}/out/owned/sub/null`);
    assert.deepEqual([pipe.special, pipe.mode], ["fifo", 0o620]);
    assert.deepEqual([device.special, device.mode, device.rdev], [
      "character device",
      0o640,
      { major: 1, minor: 3 },
    ]);
    assert.throws(() => Deno.lstatSync(`${work}/out/owned/sub/sock`), Deno.errors.NotFound);
  });
});

Deno.test({
  name: "owners: a pull as another user keeps its own, says so once, skips the device and exits 1",
  ignore: nobodyProblem !== null,
}, async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const source = `${work}/owned`;
    await ownedTree(source);
    const pushed = await clientOf(server, "alice", "alice-pass")(["push", source]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const nobody = await asNobody(work);
    await Deno.copyFile(server.caPath, `${work}/ca.pem`);
    await Deno.mkdir(`${work}/mine`);
    await Deno.chown(`${work}/mine`, NOBODY, NOBODY);
    const client = ["--server", server.address, "--ca", `${work}/ca.pem`, "--user", "alice"];
    const pulled = await burrow(["pull", `${work}/mine`, ...client], {
      env: { ...nobody.env, BURROW_PASSWORD: "alice-pass" },
      prefix: nobody.prefix,
    });
    assert.equal(pulled.code, 1, pulled.stderr);
    const lines = pulled.stderr.trim().split("\n");
    assert.deepEqual(lines, [
      "warning: owned/sub/null: not restored: only root can make a character device",
      `note: owners were not restored: not running as root, so what was restored belongs to you (uid ${NOBODY})`,
      "burrow: 1 special file was not restored (see the warnings above)",
    ]);
    const out = `${work}/mine/owned`;
    for (const path of ["", "/stranger.txt", "/nobody.txt", "/sub", "/sub/link", "/sub/pipe"]) {
      assert.deepEqual(ownerOf(`${out}${path}`), [NOBODY, NOBODY], path);
    }
    assert.equal(lstatEntry(`${out}/sub/pipe`).special, "fifo");
    assert.equal(await Deno.readTextFile(`${out}/stranger.txt`), "owned by a number\n");
    assert.throws(() => Deno.lstatSync(`${out}/sub/null`), Deno.errors.NotFound);
  });
});
