/**
 * End to end: the limits an administrator sets on an account (`useradd --append-only --quota`,
 * `usermod`), enforced by the real server against the real CLI: an append-only account cannot
 * replace its key, a quota refuses the push that would pass it (mid-way, committing nothing),
 * and a disabled account cannot log in while its backups stay.
 */
import assert from "node:assert/strict";
import { burrow, clientOf, type TestServer, withServer } from "./_harness.ts";
import { assertSameTree } from "./_tree.ts";

const MiB = 1024 * 1024;

/** Writes `files` files of `size` random (incompressible) bytes under `dir`. */
async function randomFiles(dir: string, files: number, size: number): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (let i = 0; i < files; i++) {
    const data = new Uint8Array(size);
    for (let at = 0; at < size; at += 65536) crypto.getRandomValues(data.subarray(at, at + 65536));
    await Deno.writeFile(`${dir}/file-${i}.bin`, data);
  }
}

/** Runs an admin command on the server's data folder. */
function admin(server: TestServer, args: string[], stdin?: string) {
  return burrow([...args, "--data", server.dataDir], stdin === undefined ? {} : { stdin });
}

Deno.test("account limits: append-only refuses passwd's key replacement, forget and prune until usermod lifts it", async () => {
  await withServer(async (server, work) => {
    const added = await admin(
      server,
      ["useradd", "laptop", "--append-only", "--password-stdin"],
      "laptop-pass-1\n",
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^user "laptop" added \(append-only\)$/m);
    const laptop = clientOf(server, "laptop", "laptop-pass-1");
    await randomFiles(`${work}/docs`, 2, 100_000);
    const pushed = await laptop(["push", `${work}/docs`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const pulled = await laptop(["pull", `${work}/out`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    await assertSameTree(`${work}/docs`, `${work}/out/docs`);

    const passwd = (current: string, next: string) =>
      burrow(["passwd", ...server.clientArgs("laptop")], {
        env: { BURROW_PASSWORD: current, BURROW_NEW_PASSWORD: next },
      });
    const refused = await passwd("laptop-pass-1", "laptop-pass-2");
    assert.equal(refused.code, 3, refused.stderr);
    assert.equal(
      refused.stderr,
      "burrow: Cannot replace the repository key: account is append-only\n",
    );
    assert.equal((await laptop(["snapshots"])).code, 0, "the old password still works");
    const pushedAgain = await laptop(["push", `${work}/docs`]);
    assert.equal(pushedAgain.code, 0, pushedAgain.stderr);
    const forget = await laptop(["forget", "--keep-last", "1"]);
    assert.equal(forget.code, 3, forget.stderr);
    assert.equal(forget.stderr, "burrow: Cannot forget snapshots: account is append-only\n");
    const prune = await laptop(["prune"]);
    assert.equal(prune.code, 3, prune.stderr);
    assert.equal(prune.stderr, "burrow: Cannot prune: account is append-only\n");
    assert.equal((await laptop(["snapshots", "--json"])).stdout.match(/"id"/g)?.length, 2);

    const lifted = await admin(server, ["usermod", "laptop", "--append-only", "off"]);
    assert.equal(lifted.code, 0, lifted.stderr);
    assert.match(lifted.stdout, /^user "laptop" changed: no limits$/m);
    assert.match(lifted.stderr, /using data folder/);
    const changed = await passwd("laptop-pass-1", "laptop-pass-2");
    assert.equal(changed.code, 0, changed.stderr);
    const again = await admin(server, ["usermod", "laptop", "--append-only", "on"]);
    assert.match(again.stdout, /^user "laptop" changed: append-only$/m);
    const after = await clientOf(server, "laptop", "laptop-pass-2")(["pull", `${work}/out2`]);
    assert.equal(after.code, 0, after.stderr);
    await assertSameTree(`${work}/docs`, `${work}/out2/docs`);
  });
});

Deno.test("account limits: a push that crosses the quota mid-way fails, commits nothing, keeps the rest", async () => {
  await withServer(async (server, work) => {
    const added = await admin(
      server,
      ["useradd", "alice", "--quota", "3MiB", "--password-stdin"],
      "alice-pass-1\n",
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^user "alice" added \(quota 3 MiB\)$/m);
    const alice = clientOf(server, "alice", "alice-pass-1");
    await randomFiles(`${work}/small`, 1, 200_000);
    assert.equal((await alice(["push", `${work}/small`])).code, 0);

    // 8 MiB of new data in several files: the first batches fit, a later one does not.
    await randomFiles(`${work}/big`, 8, MiB);
    const crossed = await alice(["push", `${work}/big`]);
    assert.equal(crossed.code, 1, crossed.stderr);
    assert.match(
      crossed.stderr,
      /^burrow: Cannot store chunks: quota exceeded: \d+(\.\d)? (KiB|MiB) of 3 MiB stored\n$/,
    );
    const listed = JSON.parse((await alice(["snapshots", "--json"])).stdout);
    assert.deepEqual(listed.map((s: { set: string }) => s.set), ["small"], "nothing committed");
    const pulled = await alice(["pull", `${work}/out`, "--name", "small"]);
    assert.equal(pulled.code, 0, pulled.stderr);
    await assertSameTree(`${work}/small`, `${work}/out/small`);
    assert.match(server.stderrText(), /chunks refused: quota exceeded user=alice/);

    // A larger quota lets the same push through, sending only what is missing.
    const raised = await admin(server, ["usermod", "alice", "--quota", "20MiB"]);
    assert.match(raised.stdout, /^user "alice" changed: quota 20 MiB$/m);
    const resumed = await alice(["push", `${work}/big`, "--json"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok(JSON.parse(resumed.stdout).bytesSent < 8 * MiB, "the first batches were kept");
    const none = await admin(server, ["usermod", "alice", "--quota", "none"]);
    assert.match(none.stdout, /^user "alice" changed: no limits$/m);
  });
});

Deno.test("account limits: forget and prune free quota at once, in the same server", async () => {
  await withServer(async (server, work) => {
    await admin(
      server,
      ["useradd", "carol", "--quota", "3MiB", "--password-stdin"],
      "carol-pass-1\n",
    );
    const carol = clientOf(server, "carol", "carol-pass-1");
    await randomFiles(`${work}/first`, 2, MiB);
    assert.equal((await carol(["push", `${work}/first`])).code, 0);
    await randomFiles(`${work}/second`, 2, MiB);
    const full = await carol(["push", `${work}/second`]);
    assert.equal(full.code, 1, "4 MiB more than fits in 3 MiB");
    assert.match(full.stderr, /quota exceeded/);

    const id = JSON.parse((await carol(["snapshots", "--json"])).stdout)[0].id;
    const pruned = await carol(["forget", id, "--prune"]);
    assert.equal(pruned.code, 0, pruned.stderr);
    const pushed = await carol(["push", `${work}/second`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const pulled = await carol(["pull", `${work}/out`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    await assertSameTree(`${work}/second`, `${work}/out/second`);
  });
});

Deno.test("account limits: a disabled account cannot log in, its backups stay; --enable lets it back", async () => {
  await withServer(async (server, work) => {
    await admin(server, ["useradd", "bob", "--password-stdin"], "bob-pass-12\n");
    const bob = clientOf(server, "bob", "bob-pass-12");
    await randomFiles(`${work}/docs`, 1, 50_000);
    assert.equal((await bob(["push", `${work}/docs`])).code, 0);
    const disabled = await admin(server, ["usermod", "bob", "--disable"]);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.match(disabled.stdout, /^user "bob" changed: disabled$/m);

    const refused = await bob(["snapshots"]);
    assert.equal(refused.code, 3);
    assert.equal(
      refused.stderr,
      "burrow: Cannot log in: this account is disabled; ask the server's administrator\n",
    );
    const wrong = await clientOf(server, "bob", "not-his-password")(["snapshots"]);
    assert.equal(wrong.code, 3);
    assert.equal(wrong.stderr, "burrow: Cannot log in: wrong user name or password\n");

    assert.equal((await admin(server, ["usermod", "bob", "--enable"])).code, 0);
    const pulled = await bob(["pull", `${work}/out`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    await assertSameTree(`${work}/docs`, `${work}/out/docs`);
  });
});

Deno.test("account limits: usermod and useradd refuse bad flags in one line, changing nothing", async () => {
  await withServer(async (server) => {
    await admin(server, ["useradd", "carol", "--password-stdin"], "carol-pass-1\n");
    const before = (await admin(server, ["users", "--json"])).stdout;
    const cases: [string[], number, RegExp][] = [
      [["usermod", "carol"], 2, /nothing to change/],
      [["usermod", "carol", "--append-only", "yes"], 2, /expected on or off/],
      [["usermod", "carol", "--quota", "5XB"], 2, /expected a size like 50GiB, 500MB or 1.5TiB/],
      [["usermod", "carol", "--disable", "--enable"], 2, /together/],
      [["usermod", "nobody", "--disable"], 1, /Cannot change user "nobody": no such user/],
      [["usermod", "../x", "--disable"], 2, /.+/],
      [["useradd", "dave", "--quota", "lots", "--password-stdin"], 2, /--quota "lots"/],
      [["useradd", "dave", "--quota", "none", "--password-stdin"], 2, /leave --quota out/],
    ];
    for (const [args, code, message] of cases) {
      const result = await admin(server, args, "dave-pass-12\n");
      assert.equal(result.code, code, `${args.join(" ")}: ${result.stderr}`);
      const lines = result.stderr.trim().split("\n").filter((l) => !l.startsWith("using "));
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, message);
    }
    assert.equal((await admin(server, ["users", "--json"])).stdout, before);
  });
});

Deno.test("account limits: users shows usage and limits; the server logs one line per push", async () => {
  await withServer(async (server, work) => {
    await admin(
      server,
      ["useradd", "erin", "--append-only", "--quota", "1GiB", "--password-stdin"],
      "erin-pass-12\n",
    );
    await admin(server, ["useradd", "frank", "--password-stdin"], "frank-pass-1\n");
    const erin = clientOf(server, "erin", "erin-pass-12");
    await randomFiles(`${work}/docs`, 2, 300_000);
    const first = await erin(["push", `${work}/docs`, "--json"]);
    assert.equal(first.code, 0, first.stderr);
    await Deno.writeTextFile(`${work}/docs/new.txt`, "one more file\n");
    await Deno.remove(`${work}/docs/file-0.bin`);
    assert.equal((await erin(["push", `${work}/docs`])).code, 0);

    const listed = await admin(server, ["users", "--json"]);
    assert.equal(listed.code, 0, listed.stderr);
    const [e, f] = JSON.parse(listed.stdout);
    assert.equal(e.name, "erin");
    assert.equal(e.snapshots, 2);
    assert.ok(e.storedBytes > 600_000 && e.storedBytes < 700_000, String(e.storedBytes));
    assert.equal(e.quota, 2 ** 30);
    assert.equal(e.appendOnly, true);
    assert.equal(e.disabled, false);
    assert.match(e.lastPush, /^\d{4}-\d\d-\d\dT/);
    assert.match(e.lastLogin, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(
      [f.name, f.snapshots, f.storedBytes, f.quota, f.lastPush, f.lastLogin, f.appendOnly],
      ["frank", 0, 0, null, null, null, false],
    );
    const table = await admin(server, ["users"]);
    assert.match(
      table.stdout,
      /^NAME\s+CREATED\s+LAST LOGIN\s+LAST PUSH\s+SNAPSHOTS\s+STORED\s+QUOTA\s+FLAGS\n/,
    );
    assert.match(table.stdout, /\nerin .* 2\s+5\d\d\.\d KiB\s+1 GiB\s+append-only\n/);

    const pushes = server.stderrText().split("\n").filter((l) => l.includes("snapshot committed"));
    assert.equal(pushes.length, 2, server.stderrText());
    assert.match(pushes[0]!, /user=erin .*filesNew=2 filesChanged=0 filesRemoved=0 /);
    assert.match(pushes[1]!, /user=erin .*filesNew=1 filesChanged=0 filesRemoved=1 /);
    assert.match(pushes[1]!, /bytesReceived=\d+ .*bytesStored=\d+ seconds=[\d.]+$/);
  });
});
