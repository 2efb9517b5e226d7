/**
 * The web port: an HTTPS server (`Deno.serve`, the same certificate and key as the TLS listener)
 * that serves the page and hands each WebSocket from the page to the same `SessionHost` as the
 * TLS listener, so both share the connection caps and the shutdown.
 *
 * `Deno.serve` stops for good when an accept fails (out of descriptors): the port is then bound
 * again on the same address after a growing pause (100 ms doubling to 2 s), with at most one log
 * line per 10 s, so a flood of connections cannot take the web page down for longer than it lasts.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";
import { AcceptBackoff } from "../server/accept_backoff.ts";
import { listenError } from "../server/listen_error.ts";
import { keepNoDelay } from "../server/listener_no_delay.ts";
import type { SessionHost } from "../server/session_host.ts";
import { settlesWithin } from "../settles_within.ts";
import { textResponse } from "./_security_headers.ts";
import type { PageAssets } from "./_static_assets.ts";
import type { MetricsEndpoint } from "./metrics_endpoint.ts";
import { webHandler } from "./web_handler.ts";
import type { WebSocketConnLimits } from "./websocket_conn.ts";

/** What `startWebServer` needs. */
export interface WebServerOptions {
  hostname: string;
  /** 0 takes a free port. */
  port: number;
  certPem: string;
  keyPem: string;
  /** The page's files by URL path. */
  assets: PageAssets;
  /** Names and addresses in the server certificate; the listen address is added. */
  hosts: readonly string[];
  /** The host that runs the TLS listener's sessions; WebSockets join it. */
  sessions: SessionHost;
  logger: Logger;
  /** Defaults to `DEFAULT_WEBSOCKET_LIMITS`. */
  websocketLimits?: WebSocketConnLimits;
  /** Answers `/metrics` when the metrics are served on this port. */
  metrics?: MetricsEndpoint;
}

/** A web port that is serving. */
export interface RunningWebServer {
  /** The address it listens on (the real port when 0 was asked). */
  readonly address: { hostname: string; port: number };
  /**
   * Drains the sessions (its WebSockets' and the TLS listener's: they share the host), then stops
   * the HTTPS server. Idempotent; resolves when it has stopped.
   */
  shutdown(): Promise<void>;
}

/** Addresses that mean "every interface", never a name a browser uses. */
const UNSPECIFIED = new Set(["0.0.0.0", "::"]);
/** Pauses before binding the port again after the server stopped on an error. */
const RESTART_BACKOFF = { minDelayMs: 100, maxDelayMs: 2000, logEveryMs: 10_000 };
/** A server that ran this long before it failed starts the pauses over. */
const STABLE_MS = 10_000;
/**
 * Once the sessions have closed, how long the HTTPS server may take to finish the responses it
 * is sending. Deno's own shutdown never resolves while it holds the socket of a WebSocket whose
 * client left before the upgrade was answered, so it is not waited for past this.
 */
const HTTP_SHUTDOWN_MS = 5_000;

/**
 * Binds the web port and starts serving.
 * @throws {ConfigError} naming the address and `--web` when it is taken or not allowed
 */
export function startWebServer(options: WebServerOptions): RunningWebServer {
  const { logger } = options;
  const hosts = UNSPECIFIED.has(options.hostname)
    ? options.hosts
    : [...options.hosts, options.hostname];
  const handler = webHandler({
    assets: options.assets,
    hosts,
    sessions: options.sessions,
    localAddr: () => current.addr,
    logger,
    ...(options.websocketLimits === undefined ? {} : { websocketLimits: options.websocketLimits }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  let current = bind(options, handler);
  const address = { hostname: current.addr.hostname, port: current.addr.port };
  const backoff = new AcceptBackoff(RESTART_BACKOFF);
  let stopping: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const watch = (server: Deno.HttpServer<Deno.NetAddr>) => {
    const started = Date.now();
    server.finished.catch((error) => {
      if (stopping !== null) return;
      if (Date.now() - started >= STABLE_MS) backoff.succeeded();
      retry(error);
    });
  };
  const retry = (error: unknown) => {
    const { delayMs, suppressed } = backoff.failed();
    if (suppressed !== null) {
      logger.warn("web port failed, serving it again", {
        error: errorMessage(error),
        suppressed,
        retryMs: delayMs,
      });
    }
    timer = setTimeout(() => {
      if (stopping !== null) return;
      try {
        current = bind({ ...options, port: address.port }, handler);
        watch(current);
      } catch (bindError) {
        retry(bindError);
      }
    }, delayMs);
  };
  watch(current);
  return {
    address,
    shutdown: () => {
      stopping ??= (async () => {
        clearTimeout(timer);
        // Stopping the HTTPS server would cut the WebSockets off: they are told why first.
        await options.sessions.shutdown();
        // Settled either way: it may have stopped on an error already.
        const stopped = await settlesWithin(current.shutdown(), HTTP_SHUTDOWN_MS);
        if (!stopped) {
          logger.warn("web port: connections still open after the sessions closed; not waiting", {
            waitedMs: HTTP_SHUTDOWN_MS,
          });
        }
      })();
      return stopping;
    },
  };
}

function bind(
  options: WebServerOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Deno.HttpServer<Deno.NetAddr> {
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      cert: options.certPem,
      key: options.keyPem,
      onListen: () => {},
      onError: (error) => {
        options.logger.error("web request failed", { error: errorMessage(error) });
        return textResponse(500, "Internal server error");
      },
    }, handler);
  } catch (error) {
    throw listenError(error, options, "serve the web page", "--web", ", or --web off");
  }
  keepNoDelay(server.addr, options.logger);
  return server;
}
