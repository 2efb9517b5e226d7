/** The names a server certificate answers to. @module */
import { firstCertificate } from "./_renewal.ts";
import { x509 } from "./_x509.ts";
import { parseHost } from "./host_name.ts";

/**
 * The DNS names and IP addresses in the subjectAltName of the first certificate of `certPem`, in
 * canonical spelling (lowercase names, a wildcard kept as `*.example.com`, compressed IPv6).
 * Entries that are neither are left out; a PEM without a readable certificate gives none.
 */
export function certificateHosts(certPem: string): string[] {
  const san = firstCertificate(certPem)?.getExtension(x509.SubjectAlternativeNameExtension);
  const hosts: string[] = [];
  for (const name of san?.names.items ?? []) {
    if (name.type !== "dns" && name.type !== "ip") continue;
    try {
      hosts.push(parseHost(name.value).value);
    } catch {
      // Not a host a browser could use.
    }
  }
  return hosts;
}
