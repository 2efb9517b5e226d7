import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { loadServerSecret } from "./server_secret.ts";

Deno.test("loadServerSecret() makes 32 private bytes once and returns the same after", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await loadServerSecret(`${dir}/data`);
    assert.equal(first.length, 32);
    assert.equal((await Deno.stat(`${dir}/data/server.secret`)).mode! & 0o777, 0o600);
    assert.deepEqual(await loadServerSecret(`${dir}/data`), first);
    const together = await Promise.all([
      loadServerSecret(`${dir}/b`),
      loadServerSecret(`${dir}/b`),
    ]);
    assert.deepEqual(together[0], together[1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadServerSecret() refuses a damaged secret file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/server.secret`, new Uint8Array(5));
    await assert.rejects(
      loadServerSecret(dir),
      (e) => e instanceof ConfigError && /expected 32 bytes, found 5/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
