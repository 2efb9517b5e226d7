/**
 * End to end: a password an administrator set is temporary when asked (`useradd --temporary`):
 * its user can log in but do nothing until they choose their own with `passwd`. Every password
 * that is set (useradd, signup, passwd) has a minimum length; the server's
 * (`serve --min-password-length`, default 8) is checked by the client, since the server never
 * sees a password.
 */
import assert from "node:assert/strict";
import { burrow, clientOf, withServer } from "./_harness.ts";
import { burrowOnTerminal, type Keystrokes } from "./_terminal.ts";
import { makeTree } from "./_tree.ts";

const MUST_CHANGE =
  "burrow: Cannot use this account yet: its password was set by an administrator; choose your own with burrow passwd\n";

/** The keystrokes of a new password typed at its prompt, then at the prompt to repeat it. */
function twice(password: string, label = "Password"): Keystrokes[] {
  return [
    { prompt: `${label}: `, afterMs: 100, text: password },
    { prompt: `Repeat ${label.toLowerCase()}: `, afterMs: 100, text: password },
  ];
}

Deno.test("temporary password: the user must choose their own before anything else", async () => {
  await withServer(async (server, work) => {
    const useradd = ["useradd", "alice", "--temporary", "--data", server.dataDir];
    const short = await burrowOnTerminal(useradd, twice("short"));
    assert.equal(short.code, 2, short.stdout);
    assert.match(
      short.stdout,
      /Cannot use this password: it has 5 characters; at least 8 are needed/,
    );
    const added = await burrowOnTerminal(useradd, twice("handed-over-1"));
    assert.equal(added.code, 0, added.stdout);
    assert.match(added.stdout, /user "alice" added with a temporary password/);
    const listed = await burrow(["users", "--data", server.dataDir, "--json"]);
    assert.equal(JSON.parse(listed.stdout)[0].temporaryPassword, true);

    const first = clientOf(server, "alice", "handed-over-1");
    await makeTree(`${work}/docs`);
    for (const args of [["snapshots"], ["push", `${work}/docs`], ["pull", `${work}/out`]]) {
      const refused = await first(args);
      assert.equal(refused.code, 3, `${args[0]}: ${refused.stderr}`);
      assert.equal(refused.stderr, MUST_CHANGE, args.join(" "));
      assert.equal(refused.stdout, "");
    }
    const stored = await Deno.stat(`${server.dataDir}/repos/alice`).then(() => true, () => false);
    assert.equal(stored, false, "no request reached the repository");

    const passwd = ["passwd", ...server.clientArgs("alice")];
    const current = { prompt: "Password: ", afterMs: 100, text: "handed-over-1" };
    const tooShort = await burrowOnTerminal(passwd, [current, ...twice("2short", "New password")]);
    assert.equal(tooShort.code, 2, tooShort.stdout);
    assert.match(
      tooShort.stdout,
      /Cannot use this password: it has 6 characters; this server asks for at least 8/,
    );
    const changed = await burrowOnTerminal(passwd, [
      current,
      ...twice("alices-own-pass", "New password"),
    ]);
    assert.equal(changed.code, 0, changed.stdout);
    assert.match(changed.stdout, /password of "alice" changed/);

    const own = clientOf(server, "alice", "alices-own-pass");
    const pushed = await own(["push", `${work}/docs`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.equal((await first(["snapshots"])).code, 3, "the handed-over password is gone");
    const after = await burrow(["users", "--data", server.dataDir, "--json"]);
    assert.equal(JSON.parse(after.stdout)[0].temporaryPassword, false);
  });
});

Deno.test("minimum password length: serve --min-password-length applies to signup and passwd", async () => {
  await withServer(async (server) => {
    const signup = (password: string) =>
      burrow(["signup", ...server.clientArgs("erin"), "--password-stdin"], {
        stdin: `${password}\n`,
      });
    const short = await signup("eleven-char");
    assert.equal(short.code, 2, short.stderr);
    assert.equal(
      short.stderr,
      "burrow: Cannot use this password: it has 11 characters; this server asks for at least 12\n",
    );
    assert.equal((await signup("twelve-chars")).code, 0);
    const passwd = (next: string) =>
      burrow(["passwd", ...server.clientArgs("erin"), "--password-stdin"], {
        stdin: `twelve-chars\n${next}\n`,
      });
    assert.equal((await passwd("ëleven-char")).code, 2, "characters, not bytes, are counted");
    const changed = await passwd("another-twelve");
    assert.equal(changed.code, 0, changed.stderr);

    const plain = await burrow(["useradd", "bob", "--data", server.dataDir, "--password-stdin"], {
      stdin: "seven-c\n",
    });
    assert.equal(plain.code, 2, plain.stderr);
    assert.match(plain.stderr, /it has 7 characters; at least 8 are needed/);
  }, { extraArgs: ["--allow-signup", "--min-password-length", "12"] });
});

Deno.test("minimum password length: serve refuses a bad --min-password-length", async () => {
  for (const value of ["0", "-1", "1.5", "1025", "x"]) {
    const result = await burrow(["serve", `--min-password-length=${value}`]);
    assert.equal(result.code, 2, `${value}: ${result.stderr}`);
    assert.match(result.stderr, /Invalid --min-password-length/);
  }
});
