/**
 * The TLS listener: accepts connections and hands each to its `SessionHost` (admission, one
 * `Session` per connection), and on shutdown stops accepting, then drains the host: in-flight
 * requests finish (bounded by a grace period), then what is left is ended. A failing `accept`
 * (out of descriptors) is retried after a growing pause, and logged at most once per 10 s.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { DEFAULT_PRUNE_WAIT_MS } from "../store/prune_gate.ts";
import { AcceptBackoff } from "./accept_backoff.ts";
import { listenError } from "./listen_error.ts";
import { keepNoDelay } from "./listener_no_delay.ts";
import { SessionHost, type SessionHostOptions } from "./session_host.ts";

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
  /** How long a prune waits for running pushes (on any server of a service) before BUSY. */
  pruneWaitMs: number;
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
  pruneWaitMs: DEFAULT_PRUNE_WAIT_MS,
};

/** What `startServer` needs. */
export interface ServerOptions extends SessionHostOptions {
  hostname: string;
  port: number;
  certPem: string;
  keyPem: string;
}

/** A server that is accepting connections. */
export interface RunningServer {
  /** The address it listens on (the real port when 0 was asked). */
  readonly address: { hostname: string; port: number };
  /** Runs the sessions of this listener; other ways in (the web page) hand theirs to it too. */
  readonly sessions: SessionHost;
  /** Stops accepting, drains sessions, resolves when every connection is closed. Idempotent. */
  shutdown(): Promise<void>;
  /** Resolves once the server has shut down. */
  readonly finished: Promise<void>;
}

/** Starts listening; resolves once the socket is bound. */
export function startServer(options: ServerOptions): Promise<RunningServer> {
  const listener = listen(options);
  const { logger } = options;
  keepNoDelay(listener.addr, logger);
  const sessions = new SessionHost(options);
  let stopping: Promise<void> | null = null;
  const wake = new AbortController();

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
      void sessions.serve(conn);
    }
  })();
  const shutdown = () => {
    stopping ??= (async () => {
      listener.close();
      wake.abort();
      await acceptLoop;
      await sessions.shutdown();
    })();
    return stopping;
  };
  const addr = listener.addr;
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  return Promise.resolve({
    address: { hostname: addr.hostname, port: addr.port },
    sessions,
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
    throw listenError(error, options, "listen", "--listen");
  }
}
