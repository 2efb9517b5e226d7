/**
 * What the web port answers: the page's embedded files (GET and HEAD only); at `/ws`, a
 * WebSocket from the page's own origin that carries the framed protocol into a `Session`; and at
 * `/stream`, a POST from the page's own origin whose body holds frames (a ticket login and chunk
 * requests) and whose streamed response carries the replies, through a `Session` as well; at
 * `/metrics`, when they are served here, the server's metrics (`metrics_endpoint.ts`). Every
 * response, errors included, carries the security headers.
 *
 * @module
 */
import type { Logger } from "../log.ts";
import type { SessionConn } from "../server/session.ts";
import { formatAddr } from "../server/session_host.ts";
import { AllowedHosts, originRefusal } from "./_origin.ts";
import { textResponse, withSecurityHeaders } from "./_security_headers.ts";
import { type PageAssets, StaticAssets } from "./_static_assets.ts";
import { METRICS_PATH, type MetricsEndpoint } from "./metrics_endpoint.ts";
import {
  DEFAULT_HTTP_STREAM_LIMITS,
  HttpStreamConn,
  type HttpStreamLimits,
} from "./http_stream_conn.ts";
import {
  DEFAULT_WEBSOCKET_LIMITS,
  WebSocketConn,
  type WebSocketConnLimits,
} from "./websocket_conn.ts";

/** Where a WebSocket's connection goes: `SessionHost` (admission, a `Session`) satisfies it. */
export interface ConnectionHost {
  /** Serves `conn` until it closes; `via` names the way in on log lines. Never rejects. */
  serve(conn: SessionConn, via?: string): Promise<void>;
}

/** What `webHandler` needs. */
export interface WebHandlerOptions {
  /** The page's files by URL path. */
  assets: PageAssets;
  /**
   * The host names the page is reached by: the names and addresses in the server certificate and
   * the listen address. A WebSocket whose Host is none of them is refused.
   */
  hosts: Iterable<string>;
  /** Runs the sessions of accepted WebSockets. */
  sessions: ConnectionHost;
  /** The listener's address: every WebSocket's local address. */
  localAddr(): Deno.NetAddr;
  logger: Logger;
  /** Defaults to `DEFAULT_WEBSOCKET_LIMITS`. */
  websocketLimits?: WebSocketConnLimits;
  /** Defaults to `DEFAULT_HTTP_STREAM_LIMITS`. */
  streamLimits?: HttpStreamLimits;
  /** Answers `/metrics` when the metrics are served on this port (else 404 there). */
  metrics?: MetricsEndpoint;
}

/** The URL path of the WebSocket. */
export const WEBSOCKET_PATH = "/ws";
/** The URL path of chunk streams. */
export const STREAM_PATH = "/stream";
/** The content type of a chunk stream's request and response. */
const STREAM_TYPE = "application/octet-stream";
/** Longest Origin or Host text put in a log line. */
const LOG_TEXT_MAX = 200;

/** Builds the request handler of the web port. */
export function webHandler(
  options: WebHandlerOptions,
): (request: Request, info: Deno.ServeHandlerInfo) => Response {
  const assets = new StaticAssets(options.assets);
  const hosts = new AllowedHosts(options.hosts);
  return (request, info) => {
    const path = new URL(request.url).pathname;
    const method = request.method;
    if (path === STREAM_PATH) return stream(request, info, hosts, options);
    if (path === METRICS_PATH && options.metrics !== undefined) return options.metrics(request);
    if (method !== "GET" && method !== "HEAD") {
      return textResponse(405, "Method not allowed", { Allow: "GET, HEAD" });
    }
    if (path === WEBSOCKET_PATH) return upgrade(request, info, hosts, options);
    const { headers } = request;
    const response = assets.respond(
      path,
      method,
      headers.get("If-None-Match"),
      headers.get("Accept-Encoding"),
    );
    return response ?? textResponse(404, "Not found");
  };
}

function upgrade(
  request: Request,
  info: Deno.ServeHandlerInfo,
  hosts: AllowedHosts,
  options: WebHandlerOptions,
): Response {
  const remoteAddr = info.remoteAddr as Deno.NetAddr;
  const refused = refuseOtherOrigins(request, remoteAddr, hosts, options.logger, "websocket");
  if (refused !== null) return refused;
  if (request.method !== "GET" || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    return textResponse(426, "Upgrade required: this address is a WebSocket", {
      Upgrade: "websocket",
    });
  }
  let upgraded: Deno.WebSocketUpgrade;
  try {
    upgraded = Deno.upgradeWebSocket(request);
  } catch {
    return textResponse(400, "Bad request: not a valid WebSocket upgrade");
  }
  const conn = new WebSocketConn(
    upgraded.socket,
    { localAddr: options.localAddr(), remoteAddr },
    options.websocketLimits ?? DEFAULT_WEBSOCKET_LIMITS,
  );
  void options.sessions.serve(conn, "websocket");
  withSecurityHeaders(upgraded.response.headers);
  return upgraded.response;
}

function stream(
  request: Request,
  info: Deno.ServeHandlerInfo,
  hosts: AllowedHosts,
  options: WebHandlerOptions,
): Response {
  if (request.method !== "POST") {
    return textResponse(405, "Method not allowed", { Allow: "POST" });
  }
  const remoteAddr = info.remoteAddr as Deno.NetAddr;
  const refused = refuseOtherOrigins(request, remoteAddr, hosts, options.logger, "stream");
  if (refused !== null) return refused;
  if (request.headers.get("Content-Type") !== STREAM_TYPE) {
    return textResponse(415, `Unsupported media type: this address takes ${STREAM_TYPE}`);
  }
  const conn = new HttpStreamConn(
    request.body,
    { localAddr: options.localAddr(), remoteAddr },
    options.streamLimits ?? DEFAULT_HTTP_STREAM_LIMITS,
  );
  void options.sessions.serve(conn, "stream");
  const headers = withSecurityHeaders(new Headers());
  headers.set("Content-Type", STREAM_TYPE);
  headers.set("Cache-Control", "no-store");
  return new Response(conn.response, { headers });
}

/** A 403 for a request that does not come from the page itself (logged), or null. */
function refuseOtherOrigins(
  request: Request,
  remoteAddr: Deno.NetAddr,
  hosts: AllowedHosts,
  logger: Logger,
  what: "websocket" | "stream",
): Response | null {
  const refusal = originRefusal(request, hosts);
  if (refusal === null) return null;
  logger.warn(`${what} refused: not from the page's origin`, {
    addr: formatAddr(remoteAddr),
    origin: request.headers.get("Origin")?.slice(0, LOG_TEXT_MAX) ?? null,
    host: request.headers.get("Host")?.slice(0, LOG_TEXT_MAX) ?? null,
    reason: refusal,
  });
  return textResponse(
    403,
    `Forbidden: this ${
      what === "websocket" ? "WebSocket" : "address"
    } serves only the page's own origin`,
  );
}
