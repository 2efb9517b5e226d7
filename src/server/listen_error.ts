/** One-line configuration errors for an address a server cannot listen on. @module */
import { ConfigError } from "../errors.ts";
import { formatAddr } from "./session_host.ts";

/**
 * The error to report when binding `hostname:port` failed with `error`: what is wrong and which
 * flag chooses another address, or `error` itself when it is not about the address.
 *
 * @param action what could not be done, e.g. "listen", as in "Cannot listen on HOST:PORT: …"
 * @param flag the flag that sets the address, e.g. "--listen"
 * @param extra a further way out, added to "the address is in use" (e.g. "or --web off")
 */
export function listenError(
  error: unknown,
  address: { hostname: string; port: number },
  action: string,
  flag: string,
  extra = "",
): unknown {
  const where = formatAddr({ transport: "tcp", hostname: address.hostname, port: address.port });
  const reason = error instanceof Deno.errors.AddrInUse
    ? `the address is in use (is another burrow serve running?); choose another with ${flag}${extra}`
    : error instanceof Deno.errors.PermissionDenied
    ? `permission denied (ports below 1024 need root); choose another with ${flag}`
    : error instanceof Deno.errors.AddrNotAvailable
    ? `this machine has no such address; choose another with ${flag}`
    : undefined;
  if (reason === undefined) return error;
  return new ConfigError(`Cannot ${action} on ${where}: ${reason}`, { cause: error });
}
