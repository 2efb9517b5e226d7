import assert from "node:assert/strict";
import { InvalidNameError, UsageError } from "../errors.ts";
import {
  formatHostPort,
  parseHostPort,
  parseServerList,
  resolveClientConfig,
  resolveStoreLocation,
} from "./config.ts";

const noEnv = () => undefined;

Deno.test("parseHostPort() reads IPv4, names and bracketed IPv6", () => {
  assert.deepEqual(parseHostPort("127.0.0.1:7443", "x"), { hostname: "127.0.0.1", port: 7443 });
  assert.deepEqual(parseHostPort("localhost:0", "x"), { hostname: "localhost", port: 0 });
  assert.deepEqual(parseHostPort("[::1]:7443", "x"), { hostname: "::1", port: 7443 });
});

Deno.test("parseHostPort() refuses a missing port, a port over 65535 and junk", () => {
  for (const bad of ["127.0.0.1", "host:", ":7443", "a:70000", "::1:7443", "a b:1", ""]) {
    assert.throws(() => parseHostPort(bad, "server address"), UsageError, bad);
  }
});

Deno.test("formatHostPort() brackets IPv6 addresses", () => {
  assert.equal(formatHostPort({ hostname: "::1", port: 1 }), "[::1]:1");
  assert.equal(formatHostPort({ hostname: "127.0.0.1", port: 2 }), "127.0.0.1:2");
});

Deno.test("resolveStoreLocation() prefers flags, then the environment, then defaults", () => {
  const env = (name: string) => ({ BURROW_DATA: "/env/data" } as Record<string, string>)[name];
  assert.deepEqual(resolveStoreLocation({ positionals: [], flags: {} }, noEnv), {
    dataDir: "./burrow-data",
    usersSpec: "sqlite:./burrow-data/users.db",
  });
  assert.deepEqual(resolveStoreLocation({ positionals: [], flags: {} }, env), {
    dataDir: "/env/data",
    usersSpec: "sqlite:/env/data/users.db",
  });
  const flags = { data: "/flag", users: "csv:/u.csv" };
  assert.deepEqual(resolveStoreLocation({ positionals: [], flags }, env), {
    dataDir: "/flag",
    usersSpec: "csv:/u.csv",
  });
});

Deno.test("resolveClientConfig() needs a user and validates it", () => {
  assert.throws(() => resolveClientConfig({ positionals: [], flags: {} }, noEnv), UsageError);
  assert.throws(
    () => resolveClientConfig({ positionals: [], flags: { user: "../x" } }, noEnv),
    InvalidNameError,
  );
  const config = resolveClientConfig({ positionals: [], flags: { user: "alice" } }, noEnv);
  assert.deepEqual(config, {
    servers: [{ hostname: "127.0.0.1", port: 7443 }],
    caPath: null,
    user: "alice",
    passwordStdin: false,
  });
});

Deno.test("parseServerList() takes one address or several separated by commas, and no empty one", () => {
  assert.deepEqual(parseServerList("a.example:1"), [{ hostname: "a.example", port: 1 }]);
  assert.deepEqual(parseServerList("10.0.0.1:7443, [::1]:7444"), [
    { hostname: "10.0.0.1", port: 7443 },
    { hostname: "::1", port: 7444 },
  ]);
  assert.throws(() => parseServerList("a:1,"), /Invalid server address ""/);
  assert.throws(() => parseServerList("a:1,,b:2"), UsageError);
  assert.throws(() => parseServerList("a:1,b"), /Invalid server address "b"/);
});
