/**
 * The web port: an HTTPS server (`Deno.serve`, the same certificate and key as the TLS listener)
 * that serves the page and hands each WebSocket from the page to the same `SessionHost` as the
 * TLS listener, so both share the connection caps and the shutdown.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";
import { listenError } from "../server/listen_error.ts";
import type { SessionHost } from "../server/session_host.ts";
import { textResponse } from "./_security_headers.ts";
import type { PageAssets } from "./_static_assets.ts";
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
const UNSPECIFIED = new Set(["0.0.0.0", "::", "[::]"]);

/**
 * Binds the web port and starts serving.
 * @throws {ConfigError} naming the address and `--web` when it is taken or not allowed
 */
export function startWebServer(options: WebServerOptions): RunningWebServer {
  const hosts = UNSPECIFIED.has(options.hostname)
    ? options.hosts
    : [...options.hosts, options.hostname];
  const server: Deno.HttpServer<Deno.NetAddr> = bind(
    options,
    webHandler({
      assets: options.assets,
      hosts,
      sessions: options.sessions,
      localAddr: () => server.addr,
      logger: options.logger,
      ...(options.websocketLimits === undefined
        ? {}
        : { websocketLimits: options.websocketLimits }),
    }),
  );
  let stopping: Promise<void> | null = null;
  return {
    address: { hostname: server.addr.hostname, port: server.addr.port },
    shutdown: () => {
      stopping ??= (async () => {
        // Stopping the HTTPS server would cut the WebSockets off: they are told why first.
        await options.sessions.shutdown();
        await server.shutdown();
      })();
      return stopping;
    },
  };
}

function bind(
  options: WebServerOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Deno.HttpServer<Deno.NetAddr> {
  try {
    return Deno.serve({
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
}
