/**
 * Saving a stream as a download through the page's service worker (`service_worker.ts`): the
 * browser writes to disk as the stream is read, so memory stays bounded by the stream's
 * read-ahead, whatever the size. Headless Chromium supports this; the page says so plainly
 * where a browser does not.
 *
 * @module
 */

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
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
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

/**
 * Hands `stream` to the download worker and starts the browser's download of it as `name`.
 *
 * @param size bytes, when known (shown by the browser, and checked by it)
 */
export async function saveStream(
  name: string,
  size: number | null,
  stream: ReadableStream<Uint8Array>,
): Promise<void> {
  const worker = await downloadWorker();
  const id = crypto.getRandomValues(new Uint8Array(16)).toHex();
  const channel = new MessageChannel();
  const accepted = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("Cannot download: the page's download worker does not answer")),
      ACCEPT_TIMEOUT_MS,
    );
    channel.port1.onmessage = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  worker.postMessage({ type: "download", id, name, size, stream }, [stream, channel.port2]);
  await accepted;
  channel.port1.close();
  const link = document.createElement("a");
  link.href = `/download/${id}/${encodeURIComponent(name)}`;
  link.rel = "noopener";
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
}

/** How long the download worker may take to accept a stream. */
const ACCEPT_TIMEOUT_MS = 10_000;
