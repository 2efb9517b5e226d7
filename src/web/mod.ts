/**
 * The web page's server side: an HTTPS port beside the TLS listener that serves the page's
 * embedded files and, at `/ws`, a WebSocket carrying the same framed protocol into the same
 * `Session`s, admission and shutdown (docs/PROTOCOL.md, "WebSocket transport").
 *
 * Invariants: the page is embedded (nothing is read from disk at run time); every response
 * carries the security headers (a CSP with no inline script and no other origin, nosniff,
 * no-referrer, HSTS, no framing); a WebSocket is accepted only from the page's own origin on a
 * host the server answers to; what a WebSocket buffers is bounded in both directions.
 *
 * @module
 */
export { PAGE_ASSETS } from "./_page_assets.generated.ts";
export { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from "./_security_headers.ts";
export type { PageAsset, PageAssets } from "./_static_assets.ts";
export {
  type ConnectionHost,
  webHandler,
  type WebHandlerOptions,
  WEBSOCKET_PATH,
} from "./web_handler.ts";
export { type RunningWebServer, startWebServer, type WebServerOptions } from "./web_server.ts";
export {
  CLOSE_TRANSPORT_ERROR,
  DEFAULT_WEBSOCKET_LIMITS,
  type WebSocketAddrs,
  WebSocketConn,
  type WebSocketConnLimits,
} from "./websocket_conn.ts";
