/**
 * Host names a server certificate is issued for: DNS names and IP addresses, validated and put in
 * one canonical spelling (lowercase DNS names, dotted IPv4, compressed lowercase IPv6) so that
 * equal hosts compare equal.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";

/** A validated host: a DNS name (`dns`) or an IP address (`ip`), in canonical spelling. */
export interface HostName {
  kind: "dns" | "ip";
  value: string;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Validates one host and returns it in canonical spelling. IPv6 may be given in brackets
 * (`[::1]`); a DNS name may hold a wildcard first label (`*.example.com`).
 *
 * @throws {ConfigError} when the host is neither a DNS name nor an IP address
 */
export function parseHost(host: string): HostName {
  const ip = parseIp(host);
  if (ip !== undefined) return { kind: "ip", value: ip };
  const dns = parseDnsName(host);
  if (dns !== undefined) return { kind: "dns", value: dns };
  throw new ConfigError(
    `Cannot use host ${JSON.stringify(host)}: not a valid DNS name or IP address`,
  );
}

/** Whether a string is a valid DNS host name (no wildcard, no IP address). */
export function isDnsName(host: string): boolean {
  return parseIp(host) === undefined && parseDnsName(host) !== undefined &&
    !host.startsWith("*");
}

/**
 * The hosts a server certificate made without `--host` covers: localhost, 127.0.0.1, ::1 and the
 * machine's host name (only where it is a valid DNS name and may be read), without duplicates.
 */
export function defaultServerHosts(): string[] {
  const hosts = ["localhost", "127.0.0.1", "::1"];
  let hostname = "";
  try {
    hostname = Deno.hostname().toLowerCase();
  } catch {
    // Without --allow-sys the host name is unknown; the loopback names still work.
  }
  if (isDnsName(hostname) && !hosts.includes(hostname)) hosts.push(hostname);
  return hosts;
}

function parseDnsName(host: string): string | undefined {
  const name = (host.endsWith(".") ? host.slice(0, -1) : host).toLowerCase();
  if (name.length === 0 || name.length > 253) return undefined;
  const labels = name.split(".");
  const wildcard = labels[0] === "*" && labels.length >= 3;
  const checked = wildcard ? labels.slice(1) : labels;
  if (!checked.every((label) => LABEL.test(label))) return undefined;
  // An all-numeric last label is a mistyped IPv4 address, never a real top-level domain.
  if (/^\d+$/.test(labels[labels.length - 1] ?? "")) return undefined;
  return name;
}

function parseIp(host: string): string | undefined {
  if (host.startsWith("[") && host.endsWith("]")) {
    const bytes = parseIpv6(host.slice(1, -1));
    return bytes === undefined ? undefined : formatIpv6(bytes);
  }
  const v4 = parseIpv4(host);
  if (v4 !== undefined) return v4.join(".");
  const v6 = host.includes(":") ? parseIpv6(host) : undefined;
  return v6 === undefined ? undefined : formatIpv6(v6);
}

function parseIpv4(text: string): number[] | undefined {
  const match = IPV4.exec(text);
  if (match === null) return undefined;
  const parts = match.slice(1);
  // Leading zeros are refused: some resolvers read them as octal.
  if (parts.some((part) => part.length > 1 && part.startsWith("0"))) return undefined;
  const octets = parts.map(Number);
  return octets.every((octet) => octet <= 255) ? octets : undefined;
}

/** The eight 16-bit groups of an IPv6 address (embedded IPv4 allowed, zone ids refused). */
function parseIpv6(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = groups(halves[0] ?? "", halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1] ?? "", true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** The 16-bit groups of one side of `::`; only the address's last part may be dotted IPv4. */
function groups(text: string, lastMayBeIpv4: boolean): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const result: number[] = [];
  for (const [index, part] of parts.entries()) {
    const v4 = lastMayBeIpv4 && index === parts.length - 1 ? parseIpv4(part) : undefined;
    if (v4 !== undefined) {
      result.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    } else if (HEX_GROUP.test(part)) {
      result.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return result;
}

/** RFC 5952 spelling: lowercase, no leading zeros, the longest run of two or more zeros as `::`. */
function formatIpv6(words: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < words.length;) {
    let end = start;
    while (end < words.length && words[end] === 0) end++;
    if (end - start > bestLength) [bestStart, bestLength] = [start, end - start];
    start = end === start ? start + 1 : end;
  }
  const hex = words.map((word) => word.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}
