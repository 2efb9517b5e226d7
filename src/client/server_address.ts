/**
 * A server's address as the command line names it.
 *
 * @module
 */

/** A server's host name or IP address and port. */
export interface ServerAddress {
  hostname: string;
  port: number;
}

/** `HOST:PORT`, with an IPv6 host in brackets. */
export function serverText({ hostname, port }: ServerAddress): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}
