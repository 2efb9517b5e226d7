/**
 * TLS certificates for burrow: generation and loading, no sockets.
 *
 * burrow makes its own certificate authority (ECDSA P-256, `CN=burrow CA <random>`, valid 10
 * years, CA:true pathlen 0) and a separate server certificate signed by it (CA:false,
 * digitalSignature, serverAuth, SANs for the given DNS names and IP addresses, 825 days by
 * default), because rustls refuses a self-signed certificate used directly as a server's. Clients
 * trust the server through the CA file (`--ca`), identified by its SHA-256 fingerprint.
 *
 * Invariants: private keys are PKCS#8 PEM and written with mode 0600 (folders 0700); every file
 * is written atomically (temp file, fsync, rename, fsync of the folder); an existing file is
 * never overwritten unless asked, and a partial certificate folder is an error, not a reason to
 * start over. `ensureServerCertificates` re-issues only the server certificate (from the stored
 * CA), never the CA, so clients keep trusting the same ca.pem. Nothing here writes to the console.
 *
 * @module
 */
export {
  CA_VALID_DAYS,
  type CertificateBundle,
  fingerprintSha256,
  generateCertificates,
  type GenerateCertificatesOptions,
  issueServerCertificate,
  type IssueServerCertificateOptions,
  SERVER_VALID_DAYS,
  type ServerCertificate,
} from "./certificates.ts";
export {
  type CertificatePaths,
  certificatePaths,
  ensureServerCertificates,
  type EnsureServerCertificatesOptions,
  loadCertificatePair,
  type ServerCertificates,
  writeCertificateFiles,
  type WriteCertificateFilesOptions,
} from "./cert_files.ts";
export { certificateHosts } from "./certificate_hosts.ts";
export { defaultServerHosts, type HostName, isDnsName, parseHost } from "./host_name.ts";
export { RENEW_BEFORE_DAYS } from "./_renewal.ts";
