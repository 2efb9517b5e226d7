/**
 * Minimal PEM reading and writing (RFC 7468): enough to split a file into labelled DER blocks.
 *
 * @module
 */

/** One PEM block: its label (`CERTIFICATE`, `PRIVATE KEY`, …) and its DER bytes. */
export interface PemBlock {
  label: string;
  der: Uint8Array<ArrayBuffer>;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The PEM blocks in a text, in order; text outside blocks is ignored (as OpenSSL does).
 * A block whose body is not base64 is skipped, so callers see only well-formed blocks.
 */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const label = match[1] ?? "";
    const body = (match[2] ?? "").replace(/\s+/g, "");
    if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) continue;
    blocks.push({ label, der: Uint8Array.fromBase64(body) });
  }
  return blocks;
}

/** One PEM block with 64-character lines and a final newline. */
export function encodePem(label: string, der: Uint8Array | ArrayBuffer): string {
  const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
  const lines = bytes.toBase64().match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
