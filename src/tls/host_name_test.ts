import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { defaultServerHosts, isDnsName, parseHost } from "./host_name.ts";

Deno.test("parseHost() classifies and canonicalizes DNS names and IP addresses", () => {
  const cases: [string, string, string][] = [
    ["localhost", "dns", "localhost"],
    ["Backup.Example.ORG.", "dns", "backup.example.org"],
    ["*.example.org", "dns", "*.example.org"],
    ["xn--bcher-kva.example", "dns", "xn--bcher-kva.example"],
    ["127.0.0.1", "ip", "127.0.0.1"],
    ["0.0.0.0", "ip", "0.0.0.0"],
    ["::1", "ip", "::1"],
    ["[::1]", "ip", "::1"],
    ["0:0:0:0:0:0:0:1", "ip", "::1"],
    ["FE80:0000::0001", "ip", "fe80::1"],
    ["2001:db8:0:0:1:0:0:1", "ip", "2001:db8::1:0:0:1"],
    ["2001:db8:1:2:3:4:5:0", "ip", "2001:db8:1:2:3:4:5:0"],
    ["::ffff:192.0.2.1", "ip", "::ffff:c000:201"],
    ["::", "ip", "::"],
  ];
  for (const [input, kind, value] of cases) {
    assert.deepEqual(parseHost(input), { kind, value }, input);
  }
});

Deno.test("parseHost() rejects what is neither a DNS name nor an IP address", () => {
  const bad = [
    "",
    ".",
    "a..b",
    "-a.example",
    "a-.example",
    "a_b.example",
    "exa mple",
    "*",
    "*.org",
    "a.*.example",
    "x".repeat(64) + ".example",
    "256.0.0.1",
    "01.2.3.4",
    "1.2.3",
    "1.2.3.4.5",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "fe80::1%eth0",
    "12345::",
    "1.2.3.4::",
    "[localhost]",
    "host\nname",
  ];
  for (const host of bad) {
    assert.throws(() => parseHost(host), ConfigError, JSON.stringify(host));
  }
  assert.throws(() => parseHost("a b"), {
    message: 'Cannot use host "a b": not a valid DNS name or IP address',
  });
});

Deno.test("isDnsName() accepts plain host names only", () => {
  assert.equal(isDnsName("my-laptop"), true);
  assert.equal(isDnsName("127.0.0.1"), false);
  assert.equal(isDnsName("*.example.org"), false);
  assert.equal(isDnsName("my_laptop"), false);
});

Deno.test("defaultServerHosts() lists loopback names and the host name once each", () => {
  const hosts = defaultServerHosts();
  assert.deepEqual(hosts.slice(0, 3), ["localhost", "127.0.0.1", "::1"]);
  assert.equal(new Set(hosts).size, hosts.length);
  assert.ok(hosts.length <= 4);
  for (const host of hosts) parseHost(host);
  const name = Deno.hostname().toLowerCase();
  if (isDnsName(name)) assert.ok(hosts.includes(name));
});
