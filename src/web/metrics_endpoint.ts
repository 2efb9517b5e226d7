/**
 * `GET /metrics`: the server's metrics in the Prometheus text format, for a scraper, on the web
 * port or on a port of its own (`metrics_server.ts`).
 *
 * Invariants: when a token is set, a request without `Authorization: Bearer TOKEN` gets 401 and
 * nothing else; the token is compared in constant time (SHA-256 digests of both, compared with
 * `timingSafeEqual`) and never logged. Origin checks do not apply: a scraper is not a browser,
 * the token (or a loopback-only address) is the guard. Responses are never cached.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { EXPOSITION_CONTENT_TYPE } from "../server/metrics.ts";
import { textResponse, withSecurityHeaders } from "./_security_headers.ts";

/** The URL path of the metrics. */
export const METRICS_PATH = "/metrics";

/** What `metricsEndpoint` needs. */
export interface MetricsEndpointOptions {
  /** Writes the metrics now, as a text exposition. */
  render(): Promise<string>;
  /** The bearer token a request must carry, or null for none. */
  token: string | null;
}

/** Answers requests for the metrics path: 405 but for GET and HEAD, 401 without the token. */
export type MetricsEndpoint = (request: Request) => Response;

/** Builds the handler of `GET /metrics`. */
export function metricsEndpoint(options: MetricsEndpointOptions): MetricsEndpoint {
  const expected = options.token === null ? null : digest(options.token);
  return (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return textResponse(405, "Method not allowed", { Allow: "GET, HEAD" });
    }
    if (expected !== null && !authorized(request, expected)) {
      return textResponse(401, "Unauthorized: send the metrics token as a bearer token", {
        "WWW-Authenticate": 'Bearer realm="burrow metrics"',
      });
    }
    const headers = withSecurityHeaders(new Headers());
    headers.set("Content-Type", EXPOSITION_CONTENT_TYPE);
    headers.set("Cache-Control", "no-store");
    if (request.method === "HEAD") return new Response(null, { headers });
    const text = options.render();
    const body = ReadableStream.from((async function* () {
      yield new TextEncoder().encode(await text);
    })());
    return new Response(body, { headers });
  };
}

function authorized(request: Request, expected: Uint8Array): boolean {
  const match = /^Bearer (\S+)$/i.exec(request.headers.get("Authorization") ?? "");
  return match !== null && timingSafeEqual(digest(match[1] ?? ""), expected);
}

function digest(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
}
