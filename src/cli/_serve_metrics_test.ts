import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { resolveMetricsConfig } from "./_serve_metrics.ts";

const LOOPBACK = { hostname: "127.0.0.1", port: 7444 };
const PUBLIC = { hostname: "0.0.0.0", port: 7444 };
const TOKEN = "a-token-of-enough-length";
const noEnv = () => undefined;
const args = (flags: Record<string, string>) => ({ positionals: [], flags });

Deno.test("resolveMetricsConfig() defaults to the web port, and to off with --web off", async () => {
  assert.deepEqual(await resolveMetricsConfig(args({}), noEnv, LOOPBACK), {
    place: "web",
    token: null,
    note: null,
  });
  assert.deepEqual(await resolveMetricsConfig(args({}), noEnv, null), {
    place: null,
    token: null,
    note: null,
  });
  const own = await resolveMetricsConfig(args({ metrics: "127.0.0.1:9100" }), noEnv, null);
  assert.deepEqual(own.place, { hostname: "127.0.0.1", port: 9100 });
});

Deno.test("resolveMetricsConfig() turns the default off on a web port beyond loopback without a token", async () => {
  const config = await resolveMetricsConfig(args({}), noEnv, PUBLIC);
  assert.equal(config.place, null);
  assert.match(config.note ?? "", /^metrics off: 0\.0\.0\.0 is not a loopback address/);
  const env = (name: string) => (name === "BURROW_METRICS_TOKEN" ? TOKEN : undefined);
  assert.deepEqual(await resolveMetricsConfig(args({}), env, PUBLIC), {
    place: "web",
    token: TOKEN,
    note: null,
  });
});

Deno.test("resolveMetricsConfig() refuses an explicit address beyond loopback without a token, and bad tokens", async () => {
  await assert.rejects(
    resolveMetricsConfig(args({ metrics: "0.0.0.0:9100" }), noEnv, null),
    UsageError,
  );
  await assert.rejects(resolveMetricsConfig(args({ metrics: "web" }), noEnv, PUBLIC), UsageError);
  for (const token of ["short", "has a space in it here", "x".repeat(1025)]) {
    await assert.rejects(
      resolveMetricsConfig(args({ "metrics-token": token }), noEnv, LOOPBACK),
      UsageError,
    );
  }
  await assert.rejects(
    resolveMetricsConfig(
      args({ "metrics-token": TOKEN, "metrics-token-file": "/nonexistent" }),
      noEnv,
      LOOPBACK,
    ),
    UsageError,
  );
});

Deno.test("resolveMetricsConfig() reads the token file without its final line feed", async () => {
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, `${TOKEN}\n`);
    const config = await resolveMetricsConfig(
      args({ "metrics-token-file": file, metrics: "0.0.0.0:9100" }),
      noEnv,
      null,
    );
    assert.equal(config.token, TOKEN);
  } finally {
    await Deno.remove(file);
  }
});
