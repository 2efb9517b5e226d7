/**
 * One spelling for a TCP endpoint, whether Deno reports it (`Deno.NetAddr`) or the kernel does
 * (a `struct sockaddr_in` or `sockaddr_in6`), so the two can be compared: "HOST|PORT" with IPv6
 * hosts in their canonical compressed form and without a zone.
 *
 * @module
 */
import type { LibcSymbols } from "./_libc.ts";

const AF_INET = 2;
const AF_INET6 = 10;
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Room for any address `getsockname`/`getpeername` writes, and its length; reused by each call. */
const SCRATCH = new Uint8Array(128);
const SCRATCH_LENGTH = new Uint32Array(1);

/**
 * The key of descriptor `fd`'s own end (`call` is `getsockname`) or its peer's (`getpeername`);
 * null when the call fails (not a socket, no peer) or the address is not TCP's.
 */
export function socketKey(call: LibcSymbols["getsockname"], fd: number): string | null {
  SCRATCH_LENGTH[0] = SCRATCH.length;
  if (call(fd, SCRATCH, new Uint8Array(SCRATCH_LENGTH.buffer)) !== 0) return null;
  return sockaddrKey(SCRATCH, SCRATCH_LENGTH[0] ?? 0);
}

/** The key of an endpoint as Deno reports it; null for anything but TCP. */
export function netAddrKey(addr: Deno.Addr): string | null {
  if (addr.transport !== "tcp") return null;
  return `${canonicalHost(addr.hostname)}|${addr.port}`;
}

/**
 * The key of the endpoint in the first `length` bytes of a sockaddr as `getsockname(2)` fills
 * it; null for a family other than AF_INET and AF_INET6, or a length too short for its family.
 */
export function sockaddrKey(sockaddr: Uint8Array, length: number): string | null {
  if (length < 2 || length > sockaddr.length) return null;
  const view = new DataView(sockaddr.buffer, sockaddr.byteOffset, length);
  const family = view.getUint16(0, HOST_IS_LITTLE_ENDIAN); // sa_family_t is in host order
  if (family === AF_INET && length >= 8) {
    return `${sockaddr.subarray(4, 8).join(".")}|${view.getUint16(2)}`;
  }
  if (family === AF_INET6 && length >= 24) {
    const groups: string[] = [];
    for (let at = 8; at < 24; at += 2) groups.push(view.getUint16(at).toString(16));
    return `${canonicalHost(groups.join(":"))}|${view.getUint16(2)}`;
  }
  return null;
}

/** IPv6 text in the WHATWG canonical form (lower case, longest zero run as `::`), zone dropped. */
function canonicalHost(host: string): string {
  if (!host.includes(":")) return host;
  const bare = host.replace(/%.*$/, "");
  try {
    return new URL(`http://[${bare}]/`).hostname;
  } catch {
    return bare.toLowerCase();
  }
}
