/**
 * Which WebSocket upgrades come from the page itself. A browser sends the `Origin` of the page
 * that opens a WebSocket, and any page may open one to any address, so without this check a site
 * the user visits could talk to burrow with the user's browser. The rule: the Origin must equal
 * the origin of the request's own URL (scheme, and the host and port of its Host header), and
 * that host must be one the server answers to (a name in its certificate, or its listen address),
 * so that a name an attacker points at the server (DNS rebinding) is refused as well.
 *
 * @module
 */

/** Host names a request's Host may carry: exact names and addresses, and `*.` wildcards. */
export class AllowedHosts {
  readonly #exact = new Set<string>();
  readonly #wildcardParents = new Set<string>();

  /** `hosts`: DNS names (a `*.` first label matches one label), IPv4 and IPv6 addresses. */
  constructor(hosts: Iterable<string>) {
    for (const host of hosts) {
      const name = canonicalHost(host);
      if (name.startsWith("*.")) this.#wildcardParents.add(name.slice(2));
      else if (name !== "") this.#exact.add(name);
    }
  }

  /** Whether `hostname` (as a URL spells it; IPv6 in brackets) is one of the hosts. */
  has(hostname: string): boolean {
    const name = canonicalHost(hostname);
    if (this.#exact.has(name)) return true;
    const dot = name.indexOf(".");
    return dot > 0 && this.#wildcardParents.has(name.slice(dot + 1));
  }
}

/**
 * Why an upgrade request does not come from the page, or null when it does.
 * @returns a reason for the log, or null
 */
export function originRefusal(request: Request, hosts: AllowedHosts): string | null {
  const origin = request.headers.get("Origin");
  if (origin === null) return "no Origin header";
  let own: URL;
  try {
    own = new URL(request.url);
  } catch {
    return "the request's URL does not parse";
  }
  if (!hosts.has(own.hostname)) return "the Host is not a name of this server";
  let claimed: string;
  try {
    claimed = new URL(origin).origin;
  } catch {
    return "the Origin does not parse";
  }
  return claimed === own.origin ? null : "the Origin is not this page's";
}

/** Lowercase, without IPv6 brackets or a final dot. */
function canonicalHost(host: string): string {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return (bare.endsWith(".") ? bare.slice(0, -1) : bare).toLowerCase();
}
