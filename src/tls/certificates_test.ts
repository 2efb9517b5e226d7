import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { pemBlocks } from "./_pem.ts";
import { hasOpenssl, openssl, tlsRoundTrip } from "./_testing.ts";
import { x509 } from "./_x509.ts";
import {
  CA_VALID_DAYS,
  fingerprintSha256,
  generateCertificates,
  issueServerCertificate,
  SERVER_VALID_DAYS,
} from "./certificates.ts";

const HOSTS = ["localhost", "127.0.0.1", "::1", "backup.example.org"];
const bundle = await generateCertificates({ hosts: HOSTS });
const server = { certPem: bundle.serverCertPem, keyPem: bundle.serverKeyPem };

function parse(pem: string): x509.X509Certificate {
  const block = pemBlocks(pem).find((candidate) => candidate.label === "CERTIFICATE");
  assert.ok(block, "no certificate block");
  return new x509.X509Certificate(block.der);
}

Deno.test("generateCertificates() makes a server certificate a client trusts by IP", async () => {
  assert.equal(await tlsRoundTrip(server, "127.0.0.1", bundle.caCertPem), "PING");
});

Deno.test("generateCertificates() makes a server certificate a client trusts by name", async () => {
  assert.equal(await tlsRoundTrip(server, "localhost", bundle.caCertPem), "PING");
});

Deno.test("generateCertificates() makes a CA that other servers' clients do not trust", async () => {
  const other = await generateCertificates({ hosts: ["127.0.0.1"] });
  await assert.rejects(
    () => tlsRoundTrip(server, "127.0.0.1", other.caCertPem),
    (error: Error) => /UnknownIssuer/.test(error.message),
  );
});

Deno.test("generateCertificates() refuses a host name the certificate does not cover", async () => {
  const narrow = await generateCertificates({ hosts: ["127.0.0.1"] });
  const narrowServer = { certPem: narrow.serverCertPem, keyPem: narrow.serverKeyPem };
  await assert.rejects(
    () => tlsRoundTrip(narrowServer, "localhost", narrow.caCertPem),
    (error: Error) => /NotValidForName|certificate/i.test(error.message),
  );
});

Deno.test("generateCertificates() puts every host in the subjectAltName", () => {
  const san = parse(bundle.serverCertPem).getExtension(x509.SubjectAlternativeNameExtension);
  assert.ok(san);
  const names = san.names.items.map((name) => `${name.type}:${name.value}`).sort();
  assert.deepEqual(names, ["dns:backup.example.org", "dns:localhost", "ip:127.0.0.1", "ip:::1"]);
});

Deno.test("generateCertificates() marks the CA and the server certificate apart", () => {
  const ca = parse(bundle.caCertPem);
  const leaf = parse(bundle.serverCertPem);
  assert.match(ca.subject, /^CN=burrow CA [0-9a-f]{8}$/);
  assert.equal(leaf.issuer, ca.subject);
  assert.equal(ca.getExtension(x509.BasicConstraintsExtension)?.ca, true);
  assert.equal(ca.getExtension(x509.BasicConstraintsExtension)?.critical, true);
  const caUsage = ca.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
  assert.equal(caUsage, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
  assert.equal(leaf.getExtension(x509.BasicConstraintsExtension)?.ca, false);
  assert.equal(
    leaf.getExtension(x509.KeyUsagesExtension)?.usages,
    x509.KeyUsageFlags.digitalSignature,
  );
  assert.deepEqual([...leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? []], [
    x509.ExtendedKeyUsage.serverAuth,
  ]);
});

Deno.test("generateCertificates() uses positive 16-byte random serial numbers", () => {
  const ca = parse(bundle.caCertPem).serialNumber;
  const leaf = parse(bundle.serverCertPem).serialNumber;
  for (const serial of [ca, leaf]) {
    assert.match(serial, /^[4-7][0-9a-f]{31}$/);
  }
  assert.notEqual(ca, leaf);
});

Deno.test("generateCertificates() exports keys as PKCS#8 PEM", () => {
  for (const pem of [bundle.caKeyPem, bundle.serverKeyPem]) {
    assert.match(
      pem,
      /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/,
    );
  }
});

Deno.test("generateCertificates() dates the certificates from now", async () => {
  const now = new Date("2030-01-01T00:00:00Z");
  const dated = await generateCertificates({ hosts: ["localhost"], now });
  const ca = parse(dated.caCertPem);
  const leaf = parse(dated.serverCertPem);
  assert.equal(ca.notBefore.toISOString(), "2029-12-31T23:00:00.000Z");
  assert.equal(ca.notAfter.getTime() - now.getTime(), CA_VALID_DAYS * 86_400_000);
  const days = (leaf.notAfter.getTime() - now.getTime()) / 86_400_000;
  assert.equal(days, SERVER_VALID_DAYS);
  const short = await generateCertificates({ hosts: ["localhost"], now, validDays: 7 });
  assert.equal(parse(short.serverCertPem).notAfter.toISOString(), "2030-01-08T00:00:00.000Z");
});

Deno.test("generateCertificates() rejects invalid hosts with a one-line ConfigError", async () => {
  for (const host of ["", "exa mple.com", "-bad.example", "a_b.example", "256.1.1.1", "1::2::3"]) {
    await assert.rejects(
      () => generateCertificates({ hosts: ["localhost", host] }),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message ===
          `Cannot use host ${JSON.stringify(host)}: not a valid DNS name or IP address`,
    );
  }
  await assert.rejects(() => generateCertificates({ hosts: [] }), ConfigError);
});

Deno.test("generateCertificates() rejects validDays outside 1 to 3650", async () => {
  for (const validDays of [0, -1, 1.5, 3651, Number.NaN]) {
    await assert.rejects(
      () => generateCertificates({ hosts: ["localhost"], validDays }),
      RangeError,
    );
  }
});

Deno.test("issueServerCertificate() signs a new server certificate with an existing CA", async () => {
  const renewed = await issueServerCertificate({
    caCertPem: bundle.caCertPem,
    caKeyPem: bundle.caKeyPem,
    hosts: ["127.0.0.1"],
  });
  assert.notEqual(renewed.certPem, bundle.serverCertPem);
  assert.equal(await tlsRoundTrip(renewed, "127.0.0.1", bundle.caCertPem), "PING");
});

Deno.test("issueServerCertificate() refuses a CA key that does not match the CA", async () => {
  await assert.rejects(
    () =>
      issueServerCertificate({
        caCertPem: bundle.caCertPem,
        caKeyPem: bundle.serverKeyPem,
        hosts: ["localhost"],
      }),
    {
      name: "ConfigError",
      message: "Cannot issue server certificate: the CA key does not match the CA",
    },
  );
});

Deno.test("fingerprintSha256() formats uppercase hex pairs joined by colons", async () => {
  assert.match(await fingerprintSha256(bundle.caCertPem), /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
  await assert.rejects(() => fingerprintSha256("not a certificate"), SyntaxError);
});

Deno.test({
  name: "fingerprintSha256() matches openssl x509 -fingerprint -sha256",
  ignore: !hasOpenssl,
  async fn() {
    const printed = await openssl(["x509", "-noout", "-fingerprint", "-sha256"], bundle.caCertPem);
    assert.equal(printed.trim().split("=")[1], await fingerprintSha256(bundle.caCertPem));
  },
});

Deno.test({
  name: "generateCertificates() makes a chain openssl verifies for serverAuth",
  ignore: !hasOpenssl,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/ca.pem`, bundle.caCertPem);
      const args = ["verify", "-purpose", "sslserver", "-CAfile", `${dir}/ca.pem`];
      assert.match(await openssl(args, bundle.serverCertPem), /OK/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
