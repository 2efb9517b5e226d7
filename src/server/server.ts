/**
 * The TLS listener: accepts connections up to a cap, runs one `Session` per connection, and on
 * shutdown stops accepting, lets in-flight requests finish (bounded by a grace period), then
 * closes what is left.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { AccountService } from "./accounts.ts";
import type { RepositoryRegistry } from "./repositories.ts";
import { Session } from "./session.ts";

/** Limits that keep one client from holding the server. */
export interface ServerLimits {
  /** Connections served at once; more are closed on accept. */
  maxConnections: number;
  /** Before login, the longest wait for the client's next step (TLS handshake, hello, login). */
  handshakeTimeoutMs: number;
  /** A logged-in connection silent this long is closed. */
  idleTimeoutMs: number;
  /** On shutdown, how long in-flight requests may take before their connections are closed. */
  shutdownGraceMs: number;
}

/** Defaults for `ServerLimits`. */
export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxConnections: 256,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  shutdownGraceMs: 10_000,
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
  const listener = Deno.listenTls({
    hostname: options.hostname,
    port: options.port,
    cert: options.certPem,
    key: options.keyPem,
    alpnProtocols: ["burrow/1"],
  });
  const sessions = new Set<Session>();
  let nextId = 1;
  let stopping: Promise<void> | null = null;
  const acceptLoop = (async () => {
    for (;;) {
      let conn: Deno.TlsConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (stopping !== null || error instanceof Deno.errors.BadResource) return;
        options.logger.warn("accept failed", { error: errorMessage(error) });
        continue;
      }
      const id = nextId++;
      const peer = formatAddr(conn.remoteAddr);
      if (sessions.size >= options.limits.maxConnections) {
        options.logger.warn("connection refused: too many connections", { conn: id, addr: peer });
        conn.close();
        continue;
      }
      const session = new Session(conn, { ...options, id, peer });
      sessions.add(session);
      session.run().finally(() => sessions.delete(session));
    }
  })();
  const shutdown = () => {
    stopping ??= (async () => {
      options.logger.info("shutting down", { connections: sessions.size });
      listener.close();
      await acceptLoop;
      await Promise.all([...sessions].map((s) => s.drain(options.limits.shutdownGraceMs)));
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

function formatAddr(addr: Deno.Addr): string {
  if (addr.transport !== "tcp" && addr.transport !== "udp") return addr.transport;
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}
