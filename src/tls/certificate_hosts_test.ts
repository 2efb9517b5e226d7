import assert from "node:assert/strict";
import { certificateHosts } from "./certificate_hosts.ts";
import { generateCertificates } from "./certificates.ts";

Deno.test("certificateHosts() lists the names and addresses a server certificate covers", async () => {
  const bundle = await generateCertificates({
    hosts: ["LocalHost", "127.0.0.1", "0:0::1", "*.example.org", "backup.example.org"],
  });
  assert.deepEqual(certificateHosts(bundle.serverCertPem).sort(), [
    "*.example.org",
    "127.0.0.1",
    "::1",
    "backup.example.org",
    "localhost",
  ]);
  assert.deepEqual(certificateHosts("not a certificate"), []);
});
