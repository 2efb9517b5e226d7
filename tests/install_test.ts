/**
 * `deno task install` puts a `burrow` command on PATH that runs this checkout, so the README's
 * commands work as written. Installed into a temporary root, never the machine's own.
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("deno task install makes a burrow command that runs this checkout", async () => {
  const installRoot = await Deno.makeTempDir({ prefix: "burrow-install-" });
  try {
    const install = await new Deno.Command(Deno.execPath(), {
      args: ["task", "install"],
      cwd: ROOT,
      env: { DENO_INSTALL_ROOT: installRoot, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(install.code, 0, new TextDecoder().decode(install.stderr));
    const version = await new Deno.Command(`${installRoot}/bin/burrow`, {
      args: ["--version"],
      cwd: installRoot,
      env: { PATH: `${Deno.execPath().replace(/\/[^/]*$/, "")}:/usr/bin:/bin` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(version.code, 0, new TextDecoder().decode(version.stderr));
    assert.equal(new TextDecoder().decode(version.stdout), "burrow 0.1.0\n");
  } finally {
    await Deno.remove(installRoot, { recursive: true });
  }
});
