/// <reference lib="webworker" />
/**
 * The page's service worker: it turns a stream the page builds (a verified file, a zip) into a
 * download, so that the browser writes it to disk as it arrives and the page never holds a
 * whole file. The page posts `{ type: "download", id, name, size, stream }` (the stream
 * transferred) with a port, waits for the answer on that port (so the offer is in place before
 * the request can arrive), then opens `/download/ID`; this worker answers that request with
 * the stream.
 *
 * Invariants: a stream is handed out once and forgotten after `EXPIRY_MS` if never asked for;
 * it answers only `/download/` requests and lets every other request through untouched; a
 * stream that errors (a chunk that did not verify) fails the download, which the browser then
 * keeps only as an unfinished file.
 *
 * @module
 */

interface DownloadOffer {
  type: "download";
  id: string;
  name: string;
  /** Bytes, when known ahead (a file; not a zip). */
  size: number | null;
  stream: ReadableStream<Uint8Array>;
}

declare const self: ServiceWorkerGlobalScope;

/** How long an offered stream waits for its request. */
const EXPIRY_MS = 60_000;
const offers = new Map<string, DownloadOffer>();

self.addEventListener("install", () => void self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  const offer = event.data as DownloadOffer;
  if (offer?.type !== "download" || typeof offer.id !== "string") return;
  if (!(offer.stream instanceof ReadableStream)) return;
  offers.set(offer.id, offer);
  event.ports[0]?.postMessage("ready");
  setTimeout(() => {
    if (offers.delete(offer.id)) void offer.stream.cancel().catch(() => {});
  }, EXPIRY_MS);
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const match = /^\/download\/([0-9a-f]{32})(?:\/|$)/.exec(url.pathname);
  if (url.origin !== self.location.origin || match === null) return;
  const offer = offers.get(match[1]!);
  offers.delete(match[1]!);
  if (offer === undefined) {
    event.respondWith(
      new Response("This download has expired: start it again from the page.\n", {
        status: 404,
        headers: { "Content-Type": "text/plain; charset=utf-8" },
      }),
    );
    return;
  }
  const headers = new Headers({
    "Content-Type": "application/octet-stream",
    "Content-Disposition": contentDisposition(offer.name),
    "X-Content-Type-Options": "nosniff",
  });
  if (offer.size !== null) headers.set("Content-Length", String(offer.size));
  event.respondWith(new Response(offer.stream, { headers }));
});

/** `attachment` with the name as RFC 6266 allows: an ASCII fallback and the UTF-8 original. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
