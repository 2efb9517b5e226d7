/**
 * Frees the TCP socket of a TLS connection closed before its handshake finished. Deno keeps such
 * a socket open until the peer leaves (closing the connection only cancels the handshake), so a
 * silent peer would hold a descriptor for as long as it likes. Shutting the socket down
 * (`shutdown(fd, SHUT_RDWR)`) makes the pending handshake fail, and Deno then closes the
 * descriptor itself.
 *
 * Invariants: the reaper never closes a descriptor; it shuts down only a socket whose local and
 * remote endpoints both match the closed connection's, checked again right before the call. One
 * scan of /proc/self/fd serves every connection queued in the same turn of the event loop. Where
 * /proc or libc is not available, reaping is skipped (logged once).
 *
 * @module
 */
import type { Logger } from "../log.ts";
import { libc, type LibcSymbols, SHUT_RDWR } from "./_libc.ts";
import { netAddrKey, socketKey } from "./_sockaddr.ts";

/** When the descriptor list cannot be read for now (no descriptor left to read it with). */
const RETRY_MS = 1000;

/** Shuts down the sockets of connections closed before their TLS handshake finished. */
export class SocketReaper {
  readonly #logger: Logger;
  readonly #fdDir: string;
  /** "LOCAL→REMOTE" endpoint keys waiting for the next scan. */
  #queued = new Set<string>();
  #scheduled = false;
  #disabled = false;

  /** `fdDir` lists this process's descriptors (a test may point it elsewhere). */
  constructor(logger: Logger, fdDir = "/proc/self/fd") {
    this.#logger = logger;
    this.#fdDir = fdDir;
    // Loading libc takes a descriptor: do it now, not when the process may have none left.
    libc();
  }

  /**
   * Queues the socket of a connection that was closed (`conn.close()`) before its TLS handshake
   * finished, by the endpoints the connection reported. Returns at once; never throws.
   */
  reap(local: Deno.Addr, remote: Deno.Addr): void {
    if (this.#disabled) return;
    const localKey = netAddrKey(local);
    const remoteKey = netAddrKey(remote);
    if (localKey === null || remoteKey === null) return;
    this.#queued.add(`${localKey}→${remoteKey}`);
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => this.#scan(), delayMs);
  }

  #scan(): void {
    this.#scheduled = false;
    const wanted = this.#queued;
    this.#queued = new Set();
    const binding = libc();
    if (binding.symbols === null) return this.#disable(binding.reason);
    const { symbols } = binding;
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(this.#fdDir)];
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
        return this.#disable(`cannot list ${this.#fdDir}: ${String(error)}`);
      }
      // Most likely out of descriptors itself: try again once some are back.
      for (const key of wanted) this.#queued.add(key);
      return this.#schedule(RETRY_MS);
    }
    const found = new Map<string, number>();
    for (const entry of entries) {
      const fd = Number(entry.name);
      if (!Number.isInteger(fd)) continue;
      const key = this.#endpoints(symbols, fd);
      if (key !== null && wanted.has(key)) found.set(key, fd);
    }
    for (const [key, fd] of found) {
      // The scan took time: make sure the descriptor still names the same connection.
      if (this.#endpoints(symbols, fd) === key) symbols.shutdown(fd, SHUT_RDWR);
    }
  }

  /** "LOCAL→REMOTE" of a connected TCP socket, or null for any other descriptor. */
  #endpoints(symbols: LibcSymbols, fd: number): string | null {
    const local = socketKey(symbols.getsockname, fd);
    if (local === null) return null;
    const remote = socketKey(symbols.getpeername, fd);
    return remote === null ? null : `${local}→${remote}`;
  }

  #disable(reason: string): void {
    this.#disabled = true;
    this.#logger.warn("cannot free sockets of unfinished TLS handshakes", { reason });
  }
}
