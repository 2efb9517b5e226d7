/**
 * Runs one `Session` per connection for every way in (the TLS listener, the web page's
 * WebSocket), so that all connections share one `Admission` and one shutdown.
 *
 * Connections that have not logged in have their own pool and a share of it per address; a full
 * pool makes room by closing its least advanced connection, so idle peers cannot keep users out.
 * A newcomer is refused, with `error` BUSY, only when logged-in connections fill the cap. Once
 * shutdown has begun, every session (and any connection handed over later) finishes its request in
 * flight within the grace period, is told BUSY "shutting down", and is closed.
 *
 * @module
 */
import { type Logger, withFields } from "../log.ts";
import type { ErrorPayload } from "../protocol/mod.ts";
import { Admission } from "./_admission.ts";
import { SocketReaper } from "./_socket_reaper.ts";
import type { AccountService } from "./accounts.ts";
import { ServerMetrics } from "./metrics.ts";
import type { RepositoryRegistry } from "./repositories.ts";
import type { ServerLimits } from "./server.ts";
import { Session, type SessionConn } from "./session.ts";
import { StreamTickets } from "./stream_tickets.ts";

/** What sessions use, whichever way their connection came in. */
export interface SessionHostOptions {
  accounts: AccountService;
  repositories: RepositoryRegistry;
  limits: ServerLimits;
  logger: Logger;
  /** The server's counters (default: new ones); `SessionHost.metrics` is the instance used. */
  metrics?: ServerMetrics;
}

/** What a client that finds the server full, or is evicted before login, is told. */
const BUSY: ErrorPayload = {
  code: "BUSY",
  message: "Cannot serve the connection: the server is busy, try again later",
};

/** Admits connections and runs their sessions until they close or the host shuts down. */
export class SessionHost {
  /** The counters every session of this host updates. */
  readonly metrics: ServerMetrics;
  readonly #options: SessionHostOptions & { metrics: ServerMetrics };
  readonly #sessions = new Set<Session>();
  readonly #admission: Admission<Session>;
  readonly #reaper: SocketReaper;
  readonly #tickets = new StreamTickets();
  #refusing = 0;
  #nextId = 1;
  #stopping: Promise<void> | null = null;

  constructor(options: SessionHostOptions) {
    const { accounts, repositories, limits, logger } = options;
    this.metrics = options.metrics ?? new ServerMetrics();
    this.#options = { accounts, repositories, limits, logger, metrics: this.metrics };
    this.#admission = new Admission<Session>(options.limits, (session) => session.progress);
    this.#reaper = new SocketReaper(options.logger);
  }

  /** Sessions running now: admitted ones and those being refused. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Admits `conn` (evicting connections not logged in to make room) and serves it, or refuses it
   * with `error` BUSY when logged-in connections fill the cap. `via`, when given, names the way
   * in on every log line of the session. Resolves when the connection is closed; never rejects.
   */
  serve(conn: SessionConn, via?: string): Promise<void> {
    const { limits } = this.#options;
    const logger = via === undefined ? this.#options.logger : withFields(this.#options.logger, {
      via,
    });
    const id = this.#nextId++;
    const peer = formatAddr(conn.remoteAddr);
    const onLogin = () => {
      this.#admission.loggedIn(session);
      conn.loggedIn?.();
    };
    const session: Session = new Session(conn, {
      ...this.#options,
      logger,
      id,
      peer,
      reaper: this.#reaper,
      onLogin,
      tickets: this.#tickets,
    });
    this.#sessions.add(session);
    const decision = this.#admission.admit(session, hostOf(conn.remoteAddr));
    for (const victim of decision.evicted) victim.end(BUSY, "evicted to make room");
    const done = session.run();
    if (this.#stopping !== null) void session.drain(0);
    if (decision.admitted) {
      return done.finally(() => {
        this.#sessions.delete(session);
        this.#admission.remove(session);
      });
    }
    logger.warn("connection refused: too many connections", { conn: id, addr: peer });
    // Telling a refused client why takes a handshake: only for as many as the pre-login pool.
    if (this.#refusing >= limits.maxUnauthenticated) session.end(BUSY, "refused: server full");
    else session.end(BUSY, "refused: server full", true);
    this.#refusing++;
    return done.finally(() => {
      this.#sessions.delete(session);
      this.#refusing--;
    });
  }

  /**
   * Lets every session finish its request in flight (at most the shutdown grace), tells it BUSY
   * "shutting down" and closes it; connections served later are ended the same way at once.
   * Idempotent; resolves once every session has closed.
   */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#options.logger.info("shutting down", { connections: this.#sessions.size });
      const grace = this.#options.limits.shutdownGraceMs;
      await Promise.all([...this.#sessions].map((session) => session.drain(grace)));
    })();
    return this.#stopping;
  }
}

/** The address part of a peer, which the per-address pre-login share counts by. */
function hostOf(addr: Deno.Addr): string {
  return addr.transport === "tcp" || addr.transport === "udp" ? addr.hostname : addr.transport;
}

/** HOST:PORT of an address, with an IPv6 host in brackets. */
export function formatAddr(addr: Deno.Addr): string {
  if (addr.transport !== "tcp" && addr.transport !== "udp") return addr.transport;
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}
