/**
 * The TLS listener: accepts connections, runs one `Session` per connection, and on shutdown stops
 * accepting, lets in-flight requests finish (bounded by a grace period), then ends what is left.
 *
 * Connections that have not logged in have their own pool and a share of it per address; a full
 * pool makes room by closing its least advanced connection (`Admission`), so idle peers cannot
 * keep users out. A newcomer is refused, with `error` BUSY, only when logged-in connections fill
 * the cap. A failing `accept` (out of descriptors) is retried after a growing pause, and logged
 * at most once per 10 s.
 *
 * @module
 */
import { ConfigError, errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ErrorPayload } from "../protocol/mod.ts";
import { AcceptBackoff } from "./_accept_backoff.ts";
import { Admission } from "./_admission.ts";
import { SocketReaper } from "./_socket_reaper.ts";
import type { AccountService } from "./accounts.ts";
import type { RepositoryRegistry } from "./repositories.ts";
import { Session } from "./session.ts";

/** Limits that keep one client from holding the server. */
export interface ServerLimits {
  /** Connections served at once, logged in or not. */
  maxConnections: number;
  /** Connections not logged in yet, at once (at most `maxConnections`). */
  maxUnauthenticated: number;
  /** Connections not logged in yet from one address, at once. */
  maxUnauthenticatedPerAddress: number;
  /** Before login, the longest wait for the client's next step (TLS handshake, hello, login). */
  handshakeTimeoutMs: number;
  /** A logged-in connection silent this long is closed. */
  idleTimeoutMs: number;
  /** On shutdown, how long in-flight requests may take before their connections are closed. */
  shutdownGraceMs: number;
}

/** Half of a cap, at least 1: the default of each pre-login cap from the cap above it. */
export function halfOf(cap: number): number {
  return Math.max(1, Math.ceil(cap / 2));
}

/** Defaults for `ServerLimits`. */
export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxConnections: 256,
  maxUnauthenticated: halfOf(256),
  maxUnauthenticatedPerAddress: halfOf(halfOf(256)),
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  shutdownGraceMs: 10_000,
};

/** What a client that finds the server full, or is evicted before login, is told. */
const BUSY: ErrorPayload = {
  code: "BUSY",
  message: "Cannot serve the connection: the server is busy, try again later",
};

/** What `startServer` needs. */
export interface ServerOptions {
  hostname: string;
  port: number;
  certPem: string;
  keyPem: string;
  accounts: AccountService;
  repositories: RepositoryRegistry;
  limits: ServerLimits;
  logger: Logger;
}

/** A server that is accepting connections. */
export interface RunningServer {
  /** The address it listens on (the real port when 0 was asked). */
  readonly address: { hostname: string; port: number };
  /** Stops accepting, drains sessions, resolves when every connection is closed. Idempotent. */
  shutdown(): Promise<void>;
  /** Resolves once the server has shut down. */
  readonly finished: Promise<void>;
}

/** Starts listening; resolves once the socket is bound. */
export function startServer(options: ServerOptions): Promise<RunningServer> {
  const listener = listen(options);
  const { limits, logger } = options;
  const sessions = new Set<Session>();
  const admission = new Admission<Session>(limits, (session) => session.progress);
  const reaper = new SocketReaper(logger);
  let refusing = 0;
  let nextId = 1;
  let stopping: Promise<void> | null = null;
  const wake = new AbortController();

  const serve = (conn: Deno.TlsConn) => {
    const id = nextId++;
    const peer = formatAddr(conn.remoteAddr);
    const onLogin = () => admission.loggedIn(session);
    const session: Session = new Session(conn, { ...options, id, peer, reaper, onLogin });
    sessions.add(session);
    const decision = admission.admit(session, hostOf(conn.remoteAddr));
    for (const victim of decision.evicted) victim.end(BUSY, "evicted to make room");
    const done = session.run();
    if (decision.admitted) {
      void done.finally(() => {
        sessions.delete(session);
        admission.remove(session);
      });
      return;
    }
    logger.warn("connection refused: too many connections", { conn: id, addr: peer });
    // Telling a refused client why takes a TLS handshake: only for as many as the pre-login pool.
    if (refusing >= limits.maxUnauthenticated) session.end(BUSY, "refused: server full");
    else session.end(BUSY, "refused: server full", true);
    refusing++;
    void done.finally(() => {
      sessions.delete(session);
      refusing--;
    });
  };

  const acceptLoop = (async () => {
    const backoff = new AcceptBackoff();
    for (;;) {
      let conn: Deno.TlsConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (stopping !== null || error instanceof Deno.errors.BadResource) return;
        const { delayMs, suppressed } = backoff.failed();
        if (suppressed !== null) {
          logger.warn("accept failed", {
            error: errorMessage(error),
            suppressed,
            retryMs: delayMs,
          });
        }
        await sleep(delayMs, wake.signal);
        continue;
      }
      backoff.succeeded();
      serve(conn);
    }
  })();
  const shutdown = () => {
    stopping ??= (async () => {
      logger.info("shutting down", { connections: sessions.size });
      listener.close();
      wake.abort();
      await acceptLoop;
      await Promise.all([...sessions].map((s) => s.drain(limits.shutdownGraceMs)));
    })();
    return stopping;
  };
  const addr = listener.addr;
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  return Promise.resolve({
    address: { hostname: addr.hostname, port: addr.port },
    shutdown: () => shutdown().then(resolveFinished),
    finished,
  });
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** The address part of a peer, which the per-address pre-login share counts by. */
function hostOf(addr: Deno.Addr): string {
  return addr.transport === "tcp" || addr.transport === "udp" ? addr.hostname : addr.transport;
}

function formatAddr(addr: Deno.Addr): string {
  if (addr.transport !== "tcp" && addr.transport !== "udp") return addr.transport;
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

/**
 * Binds the TLS listener.
 * @throws {ConfigError} naming the address and what to do when it is taken or not allowed
 */
function listen(options: ServerOptions): Deno.TlsListener {
  try {
    return Deno.listenTls({
      hostname: options.hostname,
      port: options.port,
      cert: options.certPem,
      key: options.keyPem,
      alpnProtocols: ["burrow/1"],
    });
  } catch (error) {
    const where = formatAddr({ transport: "tcp", hostname: options.hostname, port: options.port });
    const reason = error instanceof Deno.errors.AddrInUse
      ? "the address is in use (is another burrow serve running?); choose another with --listen"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied (ports below 1024 need root); choose another with --listen"
      : error instanceof Deno.errors.AddrNotAvailable
      ? "this machine has no such address; choose another with --listen"
      : undefined;
    if (reason === undefined) throw error;
    throw new ConfigError(`Cannot listen on ${where}: ${reason}`, { cause: error });
  }
}
