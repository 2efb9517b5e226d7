/**
 * The `compile` task's output works: builds a bin/burrow-like binary into a temp folder and runs
 * it. `deno compile` needs Deno's runtime (denort) for this platform, which it downloads on first
 * use; where it is not cached (and `DENORT_BIN` does not name one) the test is ignored with the
 * reason printed, decided before anything is compiled. `BURROW_COMPILE_TEST=1` runs it anyway
 * (then a failed download fails the test).
 *
 * @module
 */
// deno-lint-ignore-file no-console
import assert from "node:assert/strict";

const root = new URL("..", import.meta.url).pathname;

/** Why the test cannot run here, or null when the runtime is at hand (or the run is asked for). */
async function unavailable(): Promise<string | null> {
  if (Deno.env.get("BURROW_COMPILE_TEST") === "1") return null;
  const denort = Deno.env.get("DENORT_BIN");
  if (denort !== undefined) {
    return await exists(denort) ? null : `DENORT_BIN names a missing file "${denort}"`;
  }
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!info.success) return "`deno info` failed, so the runtime cache cannot be found";
  const { denoDir } = JSON.parse(new TextDecoder().decode(info.stdout)) as { denoDir: string };
  const cached = `${denoDir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  if (await exists(cached)) return null;
  return `deno compile's runtime is not cached at ${cached} (set BURROW_COMPILE_TEST=1 to let it download)`;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Runs the compile task's command with another output path. */
async function compile(binary: string): Promise<{ ok: boolean; reason: string }> {
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const task: string = config.tasks.compile;
  const args = task.replace(/^deno /, "").replace(/--output \S+/, `--output ${binary}`).split(
    /\s+/,
  );
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { ok: result.success, reason: new TextDecoder().decode(result.stderr) };
}

const reason = await unavailable();
if (reason !== null) console.log(`compile test ignored: ${reason}`);

Deno.test({
  name: "deno task compile builds a binary that runs burrow",
  ignore: reason !== null,
  async fn() {
    const outDir = await Deno.makeTempDir({ prefix: "burrow-compile-" });
    try {
      const binary = `${outDir}/burrow`;
      const attempt = await compile(binary);
      assert.equal(attempt.ok, true, attempt.reason);
      const run = await new Deno.Command(binary, { args: ["--help"], stdout: "piped" }).output();
      assert.equal(run.code, 0);
      assert.match(new TextDecoder().decode(run.stdout), /Usage: burrow COMMAND/);
      const certs = await new Deno.Command(binary, {
        args: ["certs", "--out", `${outDir}/tls`, "--host", "localhost"],
        stdout: "piped",
      }).output();
      assert.equal(certs.code, 0);
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  },
});
