/**
 * The page's embedded files as responses: encoded once, each with an ETag (a hash of its body)
 * and `Cache-Control: no-cache`, so a browser revalidates every time and gets 304 while the
 * server runs the same build.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { withSecurityHeaders } from "./_security_headers.ts";

/** One file of the page: its media type and its text. */
export interface PageAsset {
  contentType: string;
  body: string;
}

/** The page's files by URL path ("/", "/app.js", …). */
export type PageAssets = ReadonlyMap<string, PageAsset>;

interface PreparedAsset {
  contentType: string;
  bytes: Uint8Array<ArrayBuffer>;
  etag: string;
}

/** Paths whose script is a service worker, allowed to control the whole origin. */
const SERVICE_WORKERS = new Set(["/sw.js"]);

/** Answers GET and HEAD for the page's files. */
export class StaticAssets {
  readonly #assets = new Map<string, PreparedAsset>();

  /** @throws {TypeError} when a path does not start with "/" */
  constructor(assets: PageAssets) {
    for (const [path, asset] of assets) {
      if (!path.startsWith("/")) {
        throw new TypeError(`Cannot serve page asset "${path}": its path must start with "/"`);
      }
      const bytes = new TextEncoder().encode(asset.body);
      const hash = createHash("sha256").update(bytes).digest("base64url").slice(0, 22);
      this.#assets.set(path, { contentType: asset.contentType, bytes, etag: `"${hash}"` });
    }
  }

  /**
   * The response for `path`, or undefined when there is no such file: 304 when `ifNoneMatch`
   * names its ETag, else 200 (with no body for HEAD).
   */
  respond(path: string, method: "GET" | "HEAD", ifNoneMatch: string | null): Response | undefined {
    const asset = this.#assets.get(path);
    if (asset === undefined) return undefined;
    const headers = withSecurityHeaders(new Headers());
    headers.set("ETag", asset.etag);
    headers.set("Cache-Control", "no-cache");
    if (SERVICE_WORKERS.has(path)) headers.set("Service-Worker-Allowed", "/");
    if (ifNoneMatch !== null && etagMatches(ifNoneMatch, asset.etag)) {
      return new Response(null, { status: 304, headers });
    }
    headers.set("Content-Type", asset.contentType);
    headers.set("Content-Length", String(asset.bytes.length));
    return new Response(method === "HEAD" ? null : asset.bytes, { status: 200, headers });
  }
}

/** Whether an If-None-Match value (a list of ETags, weak or strong, or `*`) names `etag`. */
function etagMatches(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch.split(",").some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, "");
    return tag === "*" || tag === etag;
  });
}
