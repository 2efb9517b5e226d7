/**
 * The metrics port (`serve --metrics HOST:PORT`): an HTTPS server on the server's certificate
 * that answers `/metrics` (`metrics_endpoint.ts`) and 404 to every other path, for a scraper
 * when the metrics should not share the web page's port.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";
import { listenError } from "../server/listen_error.ts";
import { textResponse } from "./_security_headers.ts";
import { METRICS_PATH, type MetricsEndpoint } from "./metrics_endpoint.ts";

/** What `startMetricsServer` needs. */
export interface MetricsServerOptions {
  hostname: string;
  /** 0 takes a free port. */
  port: number;
  certPem: string;
  keyPem: string;
  metrics: MetricsEndpoint;
  logger: Logger;
}

/** A metrics port that is serving. */
export interface RunningMetricsServer {
  /** The address it listens on (the real port when 0 was asked). */
  readonly address: { hostname: string; port: number };
  /** Stops serving. Idempotent; resolves when it has stopped. */
  shutdown(): Promise<void>;
}

/**
 * Binds the metrics port and starts serving.
 * @throws {ConfigError} naming the address and `--metrics` when it is taken or not allowed
 */
export function startMetricsServer(options: MetricsServerOptions): RunningMetricsServer {
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      cert: options.certPem,
      key: options.keyPem,
      onListen: () => {},
      onError: (error) => {
        options.logger.error("metrics request failed", { error: errorMessage(error) });
        return textResponse(500, "Internal server error");
      },
    }, (request) => {
      const path = new URL(request.url).pathname;
      return path === METRICS_PATH ? options.metrics(request) : textResponse(404, "Not found");
    });
  } catch (error) {
    throw listenError(error, options, "serve the metrics", "--metrics", ", or --metrics off");
  }
  let stopping: Promise<void> | null = null;
  return {
    address: { hostname: server.addr.hostname, port: server.addr.port },
    shutdown: () => (stopping ??= server.shutdown().catch(() => {})),
  };
}
