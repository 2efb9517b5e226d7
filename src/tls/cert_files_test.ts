import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { hasOpenssl, openssl, tlsRoundTrip } from "./_testing.ts";
import {
  certificatePaths,
  ensureServerCertificates,
  loadCertificatePair,
  writeCertificateFiles,
} from "./cert_files.ts";
import { fingerprintSha256, generateCertificates } from "./certificates.ts";
import { inTempDir } from "../../tests/_testing.ts";

const bundle = await generateCertificates({ hosts: ["localhost", "127.0.0.1"] });
const posix = Deno.build.os !== "windows";
const DAY_MS = 86_400_000;

async function mode(path: string): Promise<number | null> {
  const info = await Deno.stat(path);
  return info.mode === null ? null : info.mode & 0o777;
}

Deno.test("writeCertificateFiles() writes four PEM files into a new private folder", async () => {
  await inTempDir(async (base) => {
    const dir = `${base}/deep/tls`;
    const paths = await writeCertificateFiles(dir, bundle);
    assert.deepEqual(paths, certificatePaths(dir));
    assert.equal(await Deno.readTextFile(paths.caCert), bundle.caCertPem);
    assert.equal(await Deno.readTextFile(paths.caKey), bundle.caKeyPem);
    assert.equal(await Deno.readTextFile(paths.serverCert), bundle.serverCertPem);
    assert.equal(await Deno.readTextFile(paths.serverKey), bundle.serverKeyPem);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names.sort(), ["ca.key", "ca.pem", "server.key", "server.pem"]);
  });
});

Deno.test({
  name: "writeCertificateFiles() gives keys mode 0600, certificates 0644, the folder 0700",
  ignore: !posix,
  async fn() {
    await inTempDir(async (base) => {
      const paths = await writeCertificateFiles(`${base}/tls`, bundle);
      assert.equal(await mode(`${base}/tls`), 0o700);
      assert.equal(await mode(paths.caKey), 0o600);
      assert.equal(await mode(paths.serverKey), 0o600);
      assert.equal(await mode(paths.caCert), 0o644);
      assert.equal(await mode(paths.serverCert), 0o644);
    });
  },
});

Deno.test("writeCertificateFiles() refuses to overwrite unless asked", async () => {
  await inTempDir(async (dir) => {
    await writeCertificateFiles(dir, bundle);
    const other = await generateCertificates({ hosts: ["localhost"] });
    await assert.rejects(() => writeCertificateFiles(dir, other), {
      name: "ConfigError",
      message: `Cannot write certificates: "${dir}/ca.pem" exists`,
    });
    assert.equal(await Deno.readTextFile(`${dir}/ca.pem`), bundle.caCertPem);
    await writeCertificateFiles(dir, other, { overwrite: true });
    assert.equal(await Deno.readTextFile(`${dir}/ca.pem`), other.caCertPem);
  });
});

Deno.test("ensureServerCertificates() creates once, then reuses", async () => {
  await inTempDir(async (base) => {
    const dir = `${base}/tls`;
    const first = await ensureServerCertificates(dir, ["localhost", "127.0.0.1"]);
    assert.equal(first.created, true);
    assert.equal(first.caCertPath, `${dir}/ca.pem`);
    assert.equal(
      first.caFingerprint,
      await fingerprintSha256(await Deno.readTextFile(`${dir}/ca.pem`)),
    );
    const second = await ensureServerCertificates(dir, ["127.0.0.1", "localhost"]);
    assert.deepEqual({ ...second, created: true }, first);
    assert.equal(second.created, false);
    assert.equal(second.renewed, false);
    const caPem = await Deno.readTextFile(second.caCertPath);
    assert.equal(await tlsRoundTrip(second, "localhost", caPem), "PING");
  });
});

Deno.test("ensureServerCertificates() renews an expiring server certificate from the same CA", async () => {
  await inTempDir(async (dir) => {
    const first = await ensureServerCertificates(dir, ["127.0.0.1"]);
    const later = new Date(Date.now() + 800 * DAY_MS);
    const renewed = await ensureServerCertificates(dir, ["127.0.0.1"], { now: later });
    assert.equal(renewed.renewed, true);
    assert.equal(renewed.caFingerprint, first.caFingerprint);
    assert.notEqual(renewed.certPem, first.certPem);
    assert.equal(await Deno.readTextFile(`${dir}/server.pem`), renewed.certPem);
    const again = await ensureServerCertificates(dir, ["127.0.0.1"], { now: later });
    assert.equal(again.renewed, false);
  });
});

Deno.test("ensureServerCertificates() re-issues the server certificate for a new host", async () => {
  await inTempDir(async (dir) => {
    const first = await ensureServerCertificates(dir, ["127.0.0.1"]);
    const wider = await ensureServerCertificates(dir, ["127.0.0.1", "localhost"]);
    assert.equal(wider.renewed, true);
    assert.equal(wider.caFingerprint, first.caFingerprint);
    const caPem = await Deno.readTextFile(wider.caCertPath);
    assert.equal(await tlsRoundTrip(wider, "localhost", caPem), "PING");
  });
});

Deno.test("ensureServerCertificates() refuses a partial set of files", async () => {
  await inTempDir(async (dir) => {
    await ensureServerCertificates(dir, ["localhost"]);
    await Deno.remove(`${dir}/server.key`);
    await assert.rejects(() => ensureServerCertificates(dir, ["localhost"]), {
      name: "ConfigError",
      message: `Cannot use certificates in "${dir}": "${dir}/server.key" is missing`,
    });
    assert.equal(await Deno.stat(`${dir}/ca.key`).then(() => true), true);
  });
});

Deno.test("ensureServerCertificates() re-issues a deleted server certificate from the CA", async () => {
  await inTempDir(async (dir) => {
    const first = await ensureServerCertificates(dir, ["127.0.0.1"]);
    await Deno.remove(`${dir}/server.pem`);
    await Deno.remove(`${dir}/server.key`);
    const again = await ensureServerCertificates(dir, ["127.0.0.1"]);
    assert.equal(again.created, false);
    assert.equal(again.renewed, true);
    assert.equal(again.caFingerprint, first.caFingerprint);
    assert.equal(
      await tlsRoundTrip(again, "127.0.0.1", await Deno.readTextFile(again.caCertPath)),
      "PING",
    );
  });
});

Deno.test("ensureServerCertificates() refuses a CA folder without its key", async () => {
  await inTempDir(async (dir) => {
    await ensureServerCertificates(dir, ["localhost"]);
    await Deno.remove(`${dir}/ca.key`);
    await assert.rejects(() => ensureServerCertificates(dir, ["localhost"]), {
      name: "ConfigError",
      message: `Cannot use certificates in "${dir}": "${dir}/ca.key" is missing`,
    });
  });
});

Deno.test("ensureServerCertificates() refuses an expired CA", async () => {
  await inTempDir(async (dir) => {
    await ensureServerCertificates(dir, ["localhost"]);
    const now = new Date(Date.now() + 3651 * DAY_MS);
    await assert.rejects(
      () => ensureServerCertificates(dir, ["localhost"], { now }),
      (error: Error) =>
        error instanceof ConfigError && /the CA expired on \d{4}-/.test(error.message),
    );
  });
});

Deno.test("loadCertificatePair() returns the PEM texts of a valid pair", async () => {
  await inTempDir(async (dir) => {
    const paths = await writeCertificateFiles(dir, bundle);
    const chain = `${dir}/chain.pem`;
    await Deno.writeTextFile(chain, bundle.serverCertPem + bundle.caCertPem);
    const pair = await loadCertificatePair(chain, paths.serverKey);
    assert.deepEqual(pair, {
      certPem: bundle.serverCertPem + bundle.caCertPem,
      keyPem: bundle.serverKeyPem,
    });
    assert.equal(await tlsRoundTrip(pair, "127.0.0.1", bundle.caCertPem), "PING");
  });
});

Deno.test("loadCertificatePair() reports unusable files in one line", async () => {
  await inTempDir(async (dir) => {
    const paths = await writeCertificateFiles(dir, bundle);
    const text = `${dir}/notes.txt`;
    const garbage = `${dir}/garbage.pem`;
    const encrypted = `${dir}/encrypted.key`;
    await Deno.writeTextFile(text, "hello\n");
    await Deno.writeTextFile(
      garbage,
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    await Deno.writeTextFile(
      encrypted,
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    const cases: [string, string, string][] = [
      [
        `${dir}/nope.pem`,
        paths.serverKey,
        `Cannot read certificate "${dir}/nope.pem": no such file`,
      ],
      [text, paths.serverKey, `Cannot read certificate "${text}": no PEM certificate found`],
      [
        paths.serverKey,
        paths.serverKey,
        `Cannot read certificate "${paths.serverKey}": no PEM certificate found`,
      ],
      [
        garbage,
        paths.serverKey,
        `Cannot read certificate "${garbage}": not a valid X.509 certificate`,
      ],
      [dir, paths.serverKey, `Cannot read certificate "${dir}": is a folder`],
      [
        paths.serverCert,
        `${dir}/nope.key`,
        `Cannot read private key "${dir}/nope.key": no such file`,
      ],
      [
        paths.serverCert,
        paths.serverCert,
        `Cannot read private key "${paths.serverCert}": no PEM private key found`,
      ],
      [
        paths.serverCert,
        encrypted,
        `Cannot read private key "${encrypted}": encrypted keys are not supported`,
      ],
    ];
    for (const [cert, key, message] of cases) {
      await assert.rejects(() => loadCertificatePair(cert, key), { name: "ConfigError", message });
    }
  });
});

Deno.test({
  name: "loadCertificatePair() accepts a SEC1 EC key that Deno.listenTls serves",
  ignore: !hasOpenssl,
  async fn() {
    await inTempDir(async (dir) => {
      const paths = await writeCertificateFiles(dir, bundle);
      const sec1 = await openssl(["ec"], bundle.serverKeyPem);
      assert.match(sec1, /^-----BEGIN EC PRIVATE KEY-----/);
      await Deno.writeTextFile(`${dir}/sec1.key`, sec1);
      const pair = await loadCertificatePair(paths.serverCert, `${dir}/sec1.key`);
      assert.equal(await tlsRoundTrip(pair, "localhost", bundle.caCertPem), "PING");
    });
  },
});
