/**
 * When the server's own certificate under `DATA/tls/` must be re-issued from its CA, and the
 * re-issue itself.
 *
 * @module
 */
import { ConfigError, errorMessage } from "../errors.ts";
import { importPrivateKeyPem, keyMatchesPublicKey } from "./_keys.ts";
import { pemBlocks } from "./_pem.ts";
import { x509 } from "./_x509.ts";
import { issueServerCertificate, type ServerCertificate } from "./certificates.ts";
import { parseHost } from "./host_name.ts";

/** The stored files and the wanted state of a server certificate. */
export interface RenewalInput {
  tlsDir: string;
  caCertPem: string;
  hosts: readonly string[];
  now: Date;
}

/** A server certificate is renewed when fewer than this many days are left. */
export const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * Whether a stored server certificate can be served as is: signed by the CA, valid now and for
 * 30 more days, covering every host, and matching its key.
 *
 * @throws {ConfigError} when the CA certificate is unreadable or expired, or a host is invalid
 */
export async function serverCertificateIsCurrent(
  input: RenewalInput & { certPem: string; keyPem: string },
): Promise<boolean> {
  const ca = readCaCertificate(input);
  const wanted = input.hosts.map((host) => hostKey(parseHost(host)));
  const cert = firstCertificate(input.certPem);
  if (cert === undefined) return false;
  const time = input.now.getTime();
  if (cert.notBefore.getTime() > time) return false;
  if (cert.notAfter.getTime() - time < RENEW_BEFORE_DAYS * DAY_MS) return false;
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const covered = new Set((san?.names.items ?? []).map(sanKey));
  if (!wanted.every((key) => covered.has(key))) return false;
  if (!await cert.verify({ publicKey: ca.publicKey, signatureOnly: true })) return false;
  const key = await importPrivateKeyPem(input.keyPem);
  return key !== undefined && await keyMatchesPublicKey(key, cert.publicKey.rawData);
}

/**
 * A new server certificate and key from the stored CA.
 *
 * @throws {ConfigError} when the CA is unreadable, expired or does not match its key
 */
export async function renewServerCertificate(
  input: RenewalInput & { caKeyPem: string },
): Promise<ServerCertificate> {
  readCaCertificate(input);
  try {
    return await issueServerCertificate(input);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const state = errorMessage(error).replace(/^Cannot [^:]*: /, "");
    throw new ConfigError(`Cannot renew certificate in "${input.tlsDir}": ${state}`, {
      cause: error,
    });
  }
}

function readCaCertificate(input: RenewalInput): x509.X509Certificate {
  const ca = firstCertificate(input.caCertPem);
  const where = `Cannot use certificates in "${input.tlsDir}"`;
  if (ca === undefined) throw new ConfigError(`${where}: ca.pem is not a PEM certificate`);
  if (ca.notAfter.getTime() <= input.now.getTime()) {
    const day = ca.notAfter.toISOString().slice(0, 10);
    throw new ConfigError(`${where}: the CA expired on ${day} (move the folder away for a new CA)`);
  }
  return ca;
}

/** The first certificate of a PEM text, or undefined when it holds none that parses. */
export function firstCertificate(pem: string): x509.X509Certificate | undefined {
  const block = pemBlocks(pem).find((candidate) => candidate.label === "CERTIFICATE");
  if (block === undefined) return undefined;
  try {
    return new x509.X509Certificate(block.der);
  } catch {
    return undefined;
  }
}

function hostKey(host: { kind: string; value: string }): string {
  return `${host.kind}:${host.value}`;
}

function sanKey(name: x509.GeneralName): string {
  if (name.type !== "dns" && name.type !== "ip") return "";
  try {
    return hostKey(parseHost(name.value));
  } catch {
    return "";
  }
}
