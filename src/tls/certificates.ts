/**
 * Generation of burrow's own certificate authority and the server certificate it signs.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import { encodePem, pemBlocks } from "./_pem.ts";
import {
  exportPrivateKeyPem,
  importPrivateKeyPem,
  keyMatchesPublicKey,
  newKeyPair,
  SIGNING_ALGORITHM,
} from "./_keys.ts";
import { x509 } from "./_x509.ts";
import { parseHost } from "./host_name.ts";

/** A CA and a server certificate signed by it, all PEM; keys are PKCS#8. */
export interface CertificateBundle {
  /** The CA certificate clients trust (`--ca`). */
  caCertPem: string;
  /** The CA's private key; only needed to issue new server certificates. */
  caKeyPem: string;
  /** The server certificate (leaf only; clients hold the CA). */
  serverCertPem: string;
  /** The server certificate's private key. */
  serverKeyPem: string;
}

/** A server certificate and its private key, PEM. */
export interface ServerCertificate {
  certPem: string;
  keyPem: string;
}

/** Days a generated CA certificate is valid: 10 years. */
export const CA_VALID_DAYS = 3650;
/**
 * Days a generated server certificate is valid by default: 825, the longest that Apple platforms
 * accept for a TLS server certificate. `ensureServerCertificates` renews it from the CA in time.
 */
export const SERVER_VALID_DAYS = 825;

/** Options of `generateCertificates`. */
export interface GenerateCertificatesOptions {
  /** DNS names and IP addresses the server certificate covers; at least one. */
  hosts: readonly string[];
  /** Days the server certificate is valid (1–3650, default 825); never past the CA's end. */
  validDays?: number;
  /** The current time (tests); certificates are valid from one hour before it, for clock skew. */
  now?: Date;
}

/** Options of `issueServerCertificate`. */
export interface IssueServerCertificateOptions {
  caCertPem: string;
  caKeyPem: string;
  hosts: readonly string[];
  validDays?: number;
  now?: Date;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Makes a new CA (`CN=burrow CA <random>`, valid 10 years) and a server certificate signed by it.
 *
 * @throws {ConfigError} when a host is not a DNS name or IP address, or none is given
 * @throws {RangeError} when validDays is not an integer from 1 to 3650
 */
export async function generateCertificates(
  options: GenerateCertificatesOptions,
): Promise<CertificateBundle> {
  const now = options.now ?? new Date();
  const sans = subjectAltNames(options.hosts);
  const validDays = checkValidDays(options.validDays);
  const keys = await newKeyPair();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: `CN=burrow CA ${hex(crypto.getRandomValues(new Uint8Array(4)))}`,
    notBefore: new Date(now.getTime() - HOUR_MS),
    notAfter: new Date(now.getTime() + CA_VALID_DAYS * DAY_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const server = await signServerCertificate(ca, keys.privateKey, sans, validDays, now);
  return {
    caCertPem: encodePem("CERTIFICATE", ca.rawData),
    caKeyPem: await exportPrivateKeyPem(keys.privateKey),
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
  };
}

/**
 * Issues a new server certificate and key from an existing CA (to renew or change its hosts
 * without making clients trust a new CA).
 *
 * @throws {ConfigError} for a bad host, or a CA certificate or key that cannot be read or do not
 *   belong together
 * @throws {RangeError} when validDays is not an integer from 1 to 3650
 */
export async function issueServerCertificate(
  options: IssueServerCertificateOptions,
): Promise<ServerCertificate> {
  const sans = subjectAltNames(options.hosts);
  const validDays = checkValidDays(options.validDays);
  const block = pemBlocks(options.caCertPem).find((b) => b.label === "CERTIFICATE");
  if (block === undefined) {
    throw new ConfigError("Cannot issue server certificate: the CA certificate is not PEM");
  }
  const caKey = await importPrivateKeyPem(options.caKeyPem);
  if (caKey === undefined) {
    throw new ConfigError("Cannot issue server certificate: the CA key is not a PKCS#8 P-256 key");
  }
  const ca = new x509.X509Certificate(block.der);
  if (!await keyMatchesPublicKey(caKey, ca.publicKey.rawData)) {
    throw new ConfigError("Cannot issue server certificate: the CA key does not match the CA");
  }
  return await signServerCertificate(ca, caKey, sans, validDays, options.now ?? new Date());
}

/**
 * The SHA-256 fingerprint of the first certificate in a PEM text, as OpenSSL prints it with
 * `x509 -noout -fingerprint -sha256`: uppercase hex pairs joined by colons.
 *
 * @throws {SyntaxError} when the text holds no PEM certificate
 */
export async function fingerprintSha256(certPem: string): Promise<string> {
  const block = pemBlocks(certPem).find((candidate) => candidate.label === "CERTIFICATE");
  if (block === undefined) {
    throw new SyntaxError("Cannot compute fingerprint: no PEM certificate found");
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", block.der));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

async function signServerCertificate(
  ca: x509.X509Certificate,
  caKey: CryptoKey,
  sans: x509.JsonGeneralName[],
  validDays: number,
  now: Date,
): Promise<ServerCertificate> {
  const keys = await newKeyPair();
  const notAfter = Math.min(now.getTime() + validDays * DAY_MS, ca.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: "CN=burrow server",
    issuer: ca.subject,
    notBefore: new Date(now.getTime() - HOUR_MS),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(sans),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
    ],
  });
  return {
    certPem: encodePem("CERTIFICATE", cert.rawData),
    keyPem: await exportPrivateKeyPem(keys.privateKey),
  };
}

/** Validated, deduplicated subjectAltName entries: DNS names first, then IP addresses. */
function subjectAltNames(hosts: readonly string[]): x509.JsonGeneralName[] {
  if (hosts.length === 0) {
    throw new ConfigError("Cannot generate certificates: no host names given");
  }
  const parsed = hosts.map(parseHost);
  const dns = new Set(parsed.filter((h) => h.kind === "dns").map((h) => h.value));
  const ips = new Set(parsed.filter((h) => h.kind === "ip").map((h) => h.value));
  return [
    ...[...dns].map((value) => ({ type: "dns" as const, value })),
    ...[...ips].map((value) => ({ type: "ip" as const, value })),
  ];
}

function checkValidDays(days: number | undefined): number {
  if (days === undefined) return SERVER_VALID_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > CA_VALID_DAYS) {
    throw new RangeError(
      `Cannot generate certificates: validDays must be an integer from 1 to ${CA_VALID_DAYS}, got ${days}`,
    );
  }
  return days;
}

/** 16 random bytes as hex, top bit clear (positive) and next bit set (exactly 16 octets in DER). */
function randomSerialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return hex(bytes);
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
