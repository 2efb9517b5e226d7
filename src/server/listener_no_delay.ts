/**
 * Nagle's algorithm off for every connection a listener accepts. Deno sets `TCP_NODELAY` neither
 * on the sockets `Deno.listenTls` accepts nor on those of `Deno.serve`, and has no call for it.
 * With Nagle on, a small reply written while an earlier one is still unacknowledged waits for the
 * peer's delayed ACK (about 40 ms on Linux): a login whose requests are pipelined paid that once
 * per login. Linux copies the option from the listening socket to each socket it accepts, so it
 * is set once, on the listener, found among this process's descriptors by its address.
 *
 * @module
 */
import type { Logger } from "../log.ts";
import { IPPROTO_TCP, libc, TCP_NODELAY } from "./_libc.ts";
import { netAddrKey, socketKey } from "./_sockaddr.ts";

/** This process's descriptors. */
const FD_DIR = "/proc/self/fd";
const ON = new Uint8Array(new Int32Array([1]).buffer);

/**
 * Sets `TCP_NODELAY` on the listening socket bound to `addr`, so that the connections it accepts
 * from now on have it.
 * @returns null once set, else why it could not be (not Linux, no such listener); never throws
 */
export function setListenerNoDelay(addr: Deno.NetAddr): string | null {
  const binding = libc();
  if (binding.symbols === null) return binding.reason;
  const { symbols } = binding;
  const wanted = netAddrKey(addr);
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(FD_DIR)];
  } catch (error) {
    return `cannot list ${FD_DIR}: ${String(error)}`;
  }
  for (const entry of entries) {
    const fd = Number(entry.name);
    if (!Number.isInteger(fd) || socketKey(symbols.getsockname, fd) !== wanted) continue;
    // An accepted connection has the same local address; only the listener has no peer.
    if (socketKey(symbols.getpeername, fd) !== null) continue;
    if (symbols.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, ON, ON.length) === 0) return null;
  }
  return `no listening socket on ${wanted} among ${FD_DIR}`;
}

/** `setListenerNoDelay(addr)`, logging why when it cannot be done (the server runs on). */
export function keepNoDelay(addr: Deno.NetAddr, logger: Logger): void {
  const problem = setListenerNoDelay(addr);
  if (problem !== null) logger.info("small replies may wait for the client's ACK", { problem });
}
