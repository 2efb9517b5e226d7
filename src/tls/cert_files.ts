/**
 * Certificate files on disk: writing a generated set, the server's own set under `DATA/tls/`
 * (made once, then reused and renewed from its CA), and loading user-supplied PEM files.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import {
  joinPath,
  makePrivateDir,
  pathExists,
  readText,
  syncDir,
  writeFileAtomic,
} from "./_files.ts";
import { pemBlocks } from "./_pem.ts";
import { x509 } from "./_x509.ts";
import { type CertificateBundle, fingerprintSha256, generateCertificates } from "./certificates.ts";
import { renewServerCertificate, serverCertificateIsCurrent } from "./_renewal.ts";

/** Where each file of a certificate set lives. */
export interface CertificatePaths {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

/** Options of `writeCertificateFiles`. */
export interface WriteCertificateFilesOptions {
  /** Replace existing files instead of refusing (default false). */
  overwrite?: boolean;
}

/** The server's certificate as `ensureServerCertificates` found or made it. */
export interface ServerCertificates {
  /** True when this call generated a new CA and server certificate. */
  created: boolean;
  /** True when this call issued a new server certificate from the existing CA. */
  renewed: boolean;
  /** Path of the CA certificate that clients pass as `--ca`. */
  caCertPath: string;
  /** Server certificate PEM for `Deno.listenTls`. */
  certPem: string;
  /** Server private key PEM for `Deno.listenTls`. */
  keyPem: string;
  /** SHA-256 fingerprint of the CA certificate (`AB:CD:…`). */
  caFingerprint: string;
}

/** Options of `ensureServerCertificates`. */
export interface EnsureServerCertificatesOptions {
  /** The current time (tests). */
  now?: Date;
}

const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

/** The four file paths of a certificate set in dir: ca.pem, ca.key, server.pem, server.key. */
export function certificatePaths(dir: string): CertificatePaths {
  return {
    caCert: joinPath(dir, "ca.pem"),
    caKey: joinPath(dir, "ca.key"),
    serverCert: joinPath(dir, "server.pem"),
    serverKey: joinPath(dir, "server.key"),
  };
}

/**
 * Writes a certificate set into dir (created with mode 0700 where missing), each file atomically;
 * keys get mode 0600, certificates 0644.
 *
 * @throws {ConfigError} when a file exists and overwrite is not set, or a write fails
 */
export async function writeCertificateFiles(
  dir: string,
  bundle: CertificateBundle,
  options: WriteCertificateFilesOptions = {},
): Promise<CertificatePaths> {
  const paths = certificatePaths(dir);
  await makePrivateDir(dir);
  if (options.overwrite !== true) {
    for (const path of Object.values(paths)) {
      if (await pathExists(path)) {
        throw new ConfigError(`Cannot write certificates: "${path}" exists`);
      }
    }
  }
  await writeFileAtomic(dir, "ca.key", bundle.caKeyPem, KEY_MODE);
  await writeFileAtomic(dir, "ca.pem", bundle.caCertPem, CERT_MODE);
  await writeFileAtomic(dir, "server.key", bundle.serverKeyPem, KEY_MODE);
  await writeFileAtomic(dir, "server.pem", bundle.serverCertPem, CERT_MODE);
  await syncDir(dir);
  return paths;
}

/**
 * The server's certificate under tlsDir: generated (for hosts) on the first call, loaded on later
 * calls. A server certificate that is missing (both server.pem and server.key gone), expires
 * within 30 days, does not cover every host, or does not match its key or the CA is re-issued
 * from the stored CA, so clients keep trusting the same ca.pem. The CA itself is never replaced.
 *
 * @throws {ConfigError} when some files exist and others not (beyond the case above), one cannot
 *   be read, the CA has expired or does not match its key, or a host is invalid
 */
export async function ensureServerCertificates(
  tlsDir: string,
  hosts: readonly string[],
  options: EnsureServerCertificatesOptions = {},
): Promise<ServerCertificates> {
  const now = options.now ?? new Date();
  const paths = certificatePaths(tlsDir);
  const entries = Object.values(paths);
  const present = await Promise.all(entries.map(pathExists));
  if (!present.some(Boolean)) {
    const bundle = await generateCertificates({ hosts, now });
    await writeCertificateFiles(tlsDir, bundle);
    return await result(true, false, paths, bundle.serverCertPem, bundle.serverKeyPem);
  }
  const serverGone = present[0] === true && present[1] === true && present[2] !== true &&
    present[3] !== true;
  const missing = entries.find((_, index) => present[index] !== true);
  if (missing !== undefined && !serverGone) {
    throw new ConfigError(`Cannot use certificates in "${tlsDir}": "${missing}" is missing`);
  }
  const caCertPem = await readText("certificate", paths.caCert);
  if (!serverGone) {
    const certPem = await readText("certificate", paths.serverCert);
    const keyPem = await readText("private key", paths.serverKey);
    if (await serverCertificateIsCurrent({ tlsDir, caCertPem, certPem, keyPem, hosts, now })) {
      return await result(false, false, paths, certPem, keyPem);
    }
  }
  const caKeyPem = await readText("private key", paths.caKey);
  const fresh = await renewServerCertificate({ tlsDir, caCertPem, caKeyPem, hosts, now });
  await writeFileAtomic(tlsDir, "server.key", fresh.keyPem, KEY_MODE);
  await writeFileAtomic(tlsDir, "server.pem", fresh.certPem, CERT_MODE);
  await syncDir(tlsDir);
  return await result(false, true, paths, fresh.certPem, fresh.keyPem);
}

async function result(
  created: boolean,
  renewed: boolean,
  paths: CertificatePaths,
  certPem: string,
  keyPem: string,
): Promise<ServerCertificates> {
  const caFingerprint = await fingerprintSha256(await readText("certificate", paths.caCert));
  return { created, renewed, caCertPath: paths.caCert, certPem, keyPem, caFingerprint };
}

const KEY_LABELS = new Set(["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"]);

/**
 * Reads a user-supplied certificate (chain) and private key for `serve --cert --key`. The
 * certificate file holds the server certificate first, then any intermediates; the key may be
 * PKCS#8, SEC1 (EC) or PKCS#1 (RSA), unencrypted. Whether key and certificate belong together is
 * checked by `Deno.listenTls`.
 *
 * @throws {ConfigError} when a file is missing or unreadable, holds no PEM certificate, holds a
 *   block that is not X.509, or holds no unencrypted private key
 */
export async function loadCertificatePair(
  certPath: string,
  keyPath: string,
): Promise<{ certPem: string; keyPem: string }> {
  const certPem = await readText("certificate", certPath);
  const certs = pemBlocks(certPem).filter((block) => block.label === "CERTIFICATE");
  if (certs.length === 0) {
    throw new ConfigError(`Cannot read certificate "${certPath}": no PEM certificate found`);
  }
  for (const block of certs) {
    try {
      new x509.X509Certificate(block.der);
    } catch (error) {
      throw new ConfigError(
        `Cannot read certificate "${certPath}": not a valid X.509 certificate`,
        { cause: error },
      );
    }
  }
  const keyPem = await readText("private key", keyPath);
  const labels = pemBlocks(keyPem).map((block) => block.label);
  if (!labels.some((label) => KEY_LABELS.has(label))) {
    const encrypted = labels.includes("ENCRYPTED PRIVATE KEY") ||
      /Proc-Type:\s*4,ENCRYPTED/.test(keyPem);
    const state = encrypted ? "encrypted keys are not supported" : "no PEM private key found";
    throw new ConfigError(`Cannot read private key "${keyPath}": ${state}`);
  }
  return { certPem, keyPem };
}
