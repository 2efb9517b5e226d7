/// <reference lib="webworker" />
/**
 * The page's service worker: it turns downloads into streams the browser writes to disk as they
 * arrive, so that neither the page nor this worker ever holds a whole file. A file is fetched,
 * opened and verified here, on this worker's own thread, straight from the server's chunk
 * stream into the download: its bytes never pass through the page. A zip is a stream the page
 * builds and hands over.
 *
 * The page posts a `DownloadOffer` with a port, waits for `accepted` on that port (so the offer
 * is in place before the request can arrive), then opens `/download/ID`; this worker answers
 * that request with the stream and reports progress, then saved, failed or cancelled, on the
 * port (`download_messages.ts`).
 *
 * Invariants: an offer is handed out once and forgotten after `EXPIRY_MS` if never asked for;
 * keys it was given are zeroed when its download ends and on `forget` (logout); it answers only
 * `/download/` requests and lets every other request through untouched; a stream that errors (a
 * chunk that did not verify) fails the download, which the browser then keeps only as an
 * unfinished file.
 *
 * @module
 */
import { MAX_REPLY_BYTES, RemoteChunkSource } from "../client/remote_chunk_source.ts";
import { StreamChunkFetcher } from "../client/stream_chunk_fetcher.ts";
import { loadWebAssembly } from "../format/load_web_assembly.ts";
import type { DownloadOffer, DownloadReport, FileJob, ForgetMessage } from "./download_messages.ts";
import { verifiedFileStream } from "./file_stream.ts";
import { failureText } from "./messages.ts";

declare const self: ServiceWorkerGlobalScope;

/** How long an offer waits for its request. */
const EXPIRY_MS = 60_000;
/**
 * How a download fetches: each chunk stream is one HTTPS request, whose cost in Chromium is worth
 * spreading over more bytes, with the next requests already on their way.
 */
const CHUNK_STREAM_TUNING = {
  replyBytes: MAX_REPLY_BYTES,
  requestsInFlight: 4,
  aheadBytes: 4 * MAX_REPLY_BYTES,
};
/** Least time between two progress reports of one download. */
const PROGRESS_EVERY_MS = 200;

interface Offer {
  offer: DownloadOffer;
  port: MessagePort;
}

const offers = new Map<string, Offer>();
/** Stops each download running now (its stream is cancelled, its keys zeroed). */
const running = new Set<() => void>();

self.addEventListener("install", () => void self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  const message = event.data as DownloadOffer | ForgetMessage;
  if (message?.type === "forget") return forgetAll();
  const port = event.ports[0];
  if (message?.type !== "download" || typeof message.id !== "string" || port === undefined) {
    return;
  }
  if (!("file" in message) && !(message.stream instanceof ReadableStream)) return;
  offers.set(message.id, { offer: message, port });
  send(port, { type: "accepted" });
  setTimeout(() => {
    const left = offers.get(message.id);
    if (left === undefined) return;
    offers.delete(message.id);
    drop(left.offer);
  }, EXPIRY_MS);
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const match = /^\/download\/([0-9a-f]{32})(?:\/|$)/.exec(url.pathname);
  if (url.origin !== self.location.origin || match === null) return;
  const found = offers.get(match[1]!);
  offers.delete(match[1]!);
  if (found === undefined) {
    event.respondWith(
      new Response("This download has expired: start it again from the page.\n", {
        status: 404,
        headers: { "Content-Type": "text/plain; charset=utf-8" },
      }),
    );
    return;
  }
  const { offer, port } = found;
  const headers = new Headers({
    "Content-Type": "application/octet-stream",
    "Content-Disposition": contentDisposition(offer.name),
    "X-Content-Type-Options": "nosniff",
  });
  if (offer.size !== null) headers.set("Content-Length", String(offer.size));
  event.respondWith((async () => {
    const body = "file" in offer ? await fileStream(offer.file) : offer.stream;
    return new Response(reported(body, port), { headers });
  })());
});

/** A file fetched, opened and verified here; its keys are zeroed when it ends. */
async function fileStream(job: FileJob): Promise<ReadableStream<Uint8Array>> {
  await loadWebAssembly();
  const fetcher = new StreamChunkFetcher(job.url, job.ticket);
  const source = new RemoteChunkSource(fetcher, job, CHUNK_STREAM_TUNING);
  return verifiedFileStream(job.entry, source, () => {
    source.close();
    zeroKeys(job);
  });
}

/**
 * `stream`, with its progress and its end reported on `port`; `forget` cancels it (and so ends
 * the file's fetching) while it runs.
 */
function reported(
  stream: ReadableStream<Uint8Array>,
  port: MessagePort,
): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let bytes = 0;
  let reportedAt = 0;
  let ended = false;
  let stop = () => {};
  const end = (report: DownloadReport) => {
    if (ended) return;
    ended = true;
    running.delete(stop);
    send(port, report);
    port.close();
  };
  return new ReadableStream<Uint8Array>({
    start: (controller) => {
      stop = () => {
        controller.error(new Error("Cannot download: the page logged out"));
        void reader.cancel().catch(() => {});
        end({ type: "cancelled" });
      };
      running.add(stop);
    },
    pull: async (controller) => {
      try {
        const next = await reader.read();
        if (ended) return;
        if (next.done) {
          controller.close();
          return end({ type: "saved", bytes });
        }
        bytes += next.value.length;
        controller.enqueue(next.value);
        const now = Date.now();
        if (now - reportedAt >= PROGRESS_EVERY_MS) {
          reportedAt = now;
          send(port, { type: "progress", bytes });
        }
      } catch (error) {
        if (ended) return;
        controller.error(error);
        end({ type: "failed", message: failureText(error) });
      }
    },
    cancel: (reason) => {
      end({ type: "cancelled" });
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

function send(port: MessagePort, report: DownloadReport): void {
  port.postMessage(report);
}

/** Ends every download and drops every offer: the page logged out. */
function forgetAll(): void {
  for (const stop of [...running]) stop();
  for (const { offer, port } of offers.values()) {
    drop(offer);
    port.close();
  }
  offers.clear();
}

/** Drops an offer that will not be downloaded. */
function drop(offer: DownloadOffer): void {
  if ("file" in offer) zeroKeys(offer.file);
  else void offer.stream.cancel().catch(() => {});
}

function zeroKeys(job: FileJob): void {
  job.idKey.fill(0);
  job.dataKey.fill(0);
  job.ticket.fill(0);
}

/** `attachment` with the name as RFC 6266 allows: an ASCII fallback and the UTF-8 original. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
