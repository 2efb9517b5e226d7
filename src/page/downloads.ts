/**
 * Downloads through the page's service worker (`service_worker.ts`): the browser writes to disk
 * as the worker's stream is read, so memory stays bounded by the stream's read-ahead, whatever
 * the size. Headless Chromium supports this; the page says so plainly where a browser does not.
 *
 * @module
 */
import type { DownloadOffer, DownloadReport, FileJob, ForgetMessage } from "./download_messages.ts";

/** The service worker that serves downloads, once it controls the page. */
let ready: Promise<ServiceWorker> | null = null;

/**
 * Registers the download worker and resolves once it controls this page (at most once per page).
 *
 * @throws {Error} when the browser has no service workers (such as a private window that forbids them)
 */
export function downloadWorker(): Promise<ServiceWorker> {
  ready ??= (async () => {
    if (!("serviceWorker" in navigator)) {
      throw new Error("Cannot download: this browser does not allow the page a service worker");
    }
    await navigator.serviceWorker.register("/sw.js", { scope: "/", type: "module" });
    await navigator.serviceWorker.ready;
    const current = navigator.serviceWorker.controller;
    if (current !== null) return current;
    return await new Promise<ServiceWorker>((resolve) => {
      navigator.serviceWorker.addEventListener(
        "controllerchange",
        () => resolve(navigator.serviceWorker.controller!),
        { once: true },
      );
    });
  })();
  ready.catch(() => (ready = null));
  return ready;
}

/** What the page offers: a file for the worker to fetch and verify, or a stream of its own. */
export type Download =
  & { name: string; size: number | null }
  & ({ file: FileJob } | { stream: ReadableStream<Uint8Array> });

/**
 * Hands `download` to the download worker and starts the browser's download of it; the
 * worker's reports (progress, then saved, failed or cancelled) go to `report`.
 *
 * @throws {Error} when the worker cannot be registered or does not accept the download
 */
export async function startDownload(
  download: Download,
  report: (report: DownloadReport) => void,
): Promise<void> {
  const worker = await downloadWorker();
  const id = crypto.getRandomValues(new Uint8Array(16)).toHex();
  const channel = new MessageChannel();
  const accepted = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("Cannot download: the page's download worker does not answer")),
      ACCEPT_TIMEOUT_MS,
    );
    channel.port1.onmessage = (event: MessageEvent<DownloadReport>) => {
      const message = event.data;
      if (message.type === "accepted") {
        clearTimeout(timer);
        return resolve();
      }
      if (message.type !== "progress") channel.port1.close();
      report(message);
    };
  });
  const offer: DownloadOffer = { type: "download", id, ...download };
  const transfer: Transferable[] = [channel.port2];
  if ("stream" in download) transfer.push(download.stream);
  worker.postMessage(offer, transfer);
  await accepted;
  const link = document.createElement("a");
  link.href = `/download/${id}/${encodeURIComponent(download.name)}`;
  link.rel = "noopener";
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
}

/** Tells the download worker to end the downloads it runs and zero the keys it was given. */
export function forgetDownloads(): void {
  navigator.serviceWorker?.controller?.postMessage({ type: "forget" } satisfies ForgetMessage);
}

/** How long the download worker may take to accept a download. */
const ACCEPT_TIMEOUT_MS = 10_000;
