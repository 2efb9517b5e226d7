/**
 * The headers every response of the web port carries: a Content-Security-Policy that allows
 * scripts, styles, workers and connections from the page's own origin only (no inline script,
 * no eval, no other origin, no framing; WebAssembly may be compiled, for Argon2id), and the
 * headers that stop sniffing, referrers, framing and
 * cross-origin reads.
 *
 * @module
 */

/** The page's Content-Security-Policy. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Every header below goes on every response, whatever its status. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Strict-Transport-Security": "max-age=31536000",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/** Sets the security headers on `headers` (replacing any of the same name) and returns it. */
export function withSecurityHeaders(headers: Headers): Headers {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
  return headers;
}

/** A plain-text response (an error page) with the security headers. */
export function textResponse(status: number, text: string, extra: HeadersInit = {}): Response {
  const headers = withSecurityHeaders(new Headers(extra));
  headers.set("Content-Type", "text/plain; charset=utf-8");
  headers.set("Cache-Control", "no-store");
  return new Response(`${text}\n`, { status, headers });
}
