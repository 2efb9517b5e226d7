/**
 * The page's embedded files as responses: encoded once, each with an ETag (a hash of its body)
 * and `Cache-Control: no-cache`, so a browser revalidates every time and gets 304 while the
 * server runs the same build. A text file of at least 1 KiB goes gzip-compressed to a browser
 * that accepts gzip (compressed on its first such request, then kept), with an ETag of its own:
 * the page's files are about a third of their size that way.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { withSecurityHeaders } from "./_security_headers.ts";

/** One file of the page: its media type and its text. */
export interface PageAsset {
  contentType: string;
  body: string;
}

/** The page's files by URL path ("/", "/app.js", …). */
export type PageAssets = ReadonlyMap<string, PageAsset>;

interface Encoded {
  bytes: Uint8Array<ArrayBuffer>;
  etag: string;
}

interface PreparedAsset {
  contentType: string;
  identity: Encoded;
  /** The gzip encoding: null when not worth it (binary, or under 1 KiB), undefined until made. */
  gzip?: Encoded | null;
}

/** Paths whose script is a service worker, allowed to control the whole origin. */
const SERVICE_WORKERS = new Set(["/sw.js"]);
/** Smallest body sent compressed. */
const GZIP_MIN_BYTES = 1024;
const COMPRESSIBLE = /^(text\/|image\/svg\+xml|application\/(json|manifest\+json))/;

/** Answers GET and HEAD for the page's files. */
export class StaticAssets {
  readonly #assets = new Map<string, PreparedAsset>();

  /** @throws {TypeError} when a path does not start with "/" */
  constructor(assets: PageAssets) {
    for (const [path, asset] of assets) {
      if (!path.startsWith("/")) {
        throw new TypeError(`Cannot serve page asset "${path}": its path must start with "/"`);
      }
      const identity = encoded(new TextEncoder().encode(asset.body));
      this.#assets.set(path, { contentType: asset.contentType, identity });
    }
  }

  /**
   * The response for `path`, or undefined when there is no such file: 304 when `ifNoneMatch`
   * names the ETag of the encoding chosen for `acceptEncoding`, else 200 (with no body for HEAD).
   */
  respond(
    path: string,
    method: "GET" | "HEAD",
    ifNoneMatch: string | null,
    acceptEncoding: string | null = null,
  ): Response | undefined {
    const asset = this.#assets.get(path);
    if (asset === undefined) return undefined;
    const gzip = acceptsGzip(acceptEncoding) ? gzipOf(asset) : null;
    const chosen = gzip ?? asset.identity;
    const headers = withSecurityHeaders(new Headers());
    headers.set("ETag", chosen.etag);
    headers.set("Cache-Control", "no-cache");
    headers.set("Vary", "Accept-Encoding");
    if (SERVICE_WORKERS.has(path)) headers.set("Service-Worker-Allowed", "/");
    if (ifNoneMatch !== null && etagMatches(ifNoneMatch, chosen.etag)) {
      return new Response(null, { status: 304, headers });
    }
    headers.set("Content-Type", asset.contentType);
    if (gzip !== null) headers.set("Content-Encoding", "gzip");
    headers.set("Content-Length", String(chosen.bytes.length));
    return new Response(method === "HEAD" ? null : chosen.bytes, { status: 200, headers });
  }
}

function encoded(bytes: Uint8Array<ArrayBuffer>): Encoded {
  const hash = createHash("sha256").update(bytes).digest("base64url").slice(0, 22);
  return { bytes, etag: `"${hash}"` };
}

/** The asset's gzip encoding, made on first use; null when it is not worth compressing. */
function gzipOf(asset: PreparedAsset): Encoded | null {
  if (asset.gzip === undefined) {
    const worth = COMPRESSIBLE.test(asset.contentType) &&
      asset.identity.bytes.length >= GZIP_MIN_BYTES;
    asset.gzip = worth
      ? encoded(new Uint8Array(gzipSync(asset.identity.bytes, { level: 9 })))
      : null;
  }
  return asset.gzip;
}

/** Whether an Accept-Encoding value accepts gzip (named, or `*`, with a q-value above 0). */
function acceptsGzip(acceptEncoding: string | null): boolean {
  if (acceptEncoding === null) return false;
  let star = false;
  for (const item of acceptEncoding.split(",")) {
    const [name = "", ...params] = item.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const accepted = q === undefined || Number(q.slice(2)) > 0;
    if (name.trim() === "gzip") return accepted;
    if (name.trim() === "*") star = accepted;
  }
  return star;
}

/** Whether an If-None-Match value (a list of ETags, weak or strong, or `*`) names `etag`. */
function etagMatches(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch.split(",").some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, "");
    return tag === "*" || tag === etag;
  });
}
