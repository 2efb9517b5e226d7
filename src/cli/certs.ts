/** `burrow certs --out DIR --host NAME…`: makes a CA and a server certificate signed by it. @module */
import { UsageError } from "../errors.ts";
import { type Command, type ParsedArgs, stringFlag, stringListFlag } from "./command.ts";
import { printLine } from "./output.ts";

async function run(args: ParsedArgs): Promise<void> {
  const outDir = stringFlag(args, "out");
  if (outDir === undefined) throw new UsageError("Cannot make certificates: --out DIR is required");
  const hosts = stringListFlag(args, "host");
  if (hosts.length === 0) hosts.push("localhost", "127.0.0.1", "::1");
  // Certificate code (x509, ASN.1) loads only for the commands that make certificates.
  const { fingerprintSha256, generateCertificates, writeCertificateFiles } = await import(
    "../tls/mod.ts"
  );
  const bundle = await generateCertificates({ hosts });
  const paths = await writeCertificateFiles(outDir, bundle);
  printLine(`CA certificate:     ${paths.caCert} (give this file to clients: --ca)`);
  printLine(`CA key:             ${paths.caKey} (keep it offline)`);
  printLine(`server certificate: ${paths.serverCert} (serve --cert)`);
  printLine(`server key:         ${paths.serverKey} (serve --key)`);
  printLine(`hosts:              ${hosts.join(", ")}`);
  printLine(`CA SHA-256 fingerprint: ${await fingerprintSha256(bundle.caCertPem)}`);
}

/** The `certs` command. */
export const certsCommand: Command = {
  name: "certs",
  usage: "certs --out DIR [--host NAME ...]",
  description:
    "Writes ca.pem, ca.key, server.pem and server.key (ECDSA P-256) into DIR. The server\n" +
    "certificate is valid for every --host (DNS name or IP address; default localhost,\n" +
    "127.0.0.1 and ::1). Existing files are never overwritten.",
  examples: [
    "certs --out ./certs --host backup.example.org",
  ],
  flags: {
    out: { type: "string", value: "DIR", help: "Folder to write the files into (created)" },
    host: {
      type: "string",
      value: "NAME",
      multiple: true,
      help: "A host name or IP the server is reached by (repeatable)",
    },
  },
  positionals: { min: 0, max: 0 },
  run,
};
