/**
 * A passing suite prints no alarming lines: the tests that crash worker threads on purpose run
 * their crash in a child process and check its report there (`isolatedTest`), so "error: Uncaught
 * (in worker …)" never reaches the suite's own output.
 */
import assert from "node:assert/strict";
import { ISOLATED_MARK } from "./_testing.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const WORKER_CRASH_TESTS = [
  "src/worker_pool_test.ts",
  "src/archive/_archive_pool_test.ts",
  "src/auth/hash_pool_test.ts",
  "src/client/_open_pool_test.ts",
  "src/restore/_restore_pool_test.ts",
];

Deno.test("the tests that crash workers on purpose pass without printing the crash", async () => {
  const run = await new Deno.Command(Deno.execPath(), {
    // Only the tests that crash on purpose: the files' other tests run in the suite itself.
    args: ["test", "-A", "--no-check", "--filter", ISOLATED_MARK, ...WORKER_CRASH_TESTS],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const output = decoder.decode(run.stdout) + decoder.decode(run.stderr);
  assert.equal(run.code, 0, output);
  assert.match(output, new RegExp(`\\| ${WORKER_CRASH_TESTS.length} passed \\|`), output);
  assert.doesNotMatch(output, /Uncaught|error:/);
});
