/**
 * What this Chromium can take in on this machine with nothing decrypted: the ceilings the web
 * page's download runs under. A plain `Deno.serve` on 127.0.0.1 over TLS (the burrow server's
 * certificate) serves a page, a service worker and a stream of 256 KiB pieces; the page then
 * measures, in MiB/s:
 *
 * - a WebSocket of 64 KiB messages (as burrow's server sends them), read by the page;
 * - a streamed `fetch` read by a service worker with a BYOB reader into one reused 1 MiB buffer
 *   (the way the page's download reads chunk streams), nothing kept;
 * - a download the service worker answers with bytes it makes itself (one reused 1 MiB buffer
 *   copied per piece), nothing fetched.
 *
 * The download reads like the second, opens every blob, and writes like the third, all on the
 * service worker's one thread.
 *
 * @module
 */
import type { Page } from "playwright-core";
import { MiB } from "./_bench_result.ts";

/** Bytes each ceiling moves. */
const TOTAL = 256 * MiB;

/** The ceilings in MiB/s. */
export interface ChromiumCeilings {
  webSocket: number;
  serviceWorkerFetch: number;
  serviceWorkerDownload: number;
}

const PAGE_SCRIPT = `
navigator.serviceWorker.register("/sw.js");
window.inWorker = (what) => new Promise(async (resolve) => {
  const registration = await navigator.serviceWorker.ready;
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => resolve(event.data);
  registration.active.postMessage({ what, port: channel.port2 }, [channel.port2]);
});
window.download = () => {
  const link = document.createElement("a");
  link.href = "/made";
  document.body.append(link);
  link.click();
  link.remove();
};
window.webSocket = (url) => new Promise((resolve, reject) => {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  let got = 0, started = 0;
  socket.onopen = () => { started = performance.now(); socket.send("go"); };
  socket.onerror = () => reject(new Error("the WebSocket failed"));
  socket.onmessage = (event) => {
    got += event.data.byteLength;
    if (got >= ${TOTAL}) { socket.close(); resolve(got / ${MiB} / ((performance.now() - started) / 1000)); }
  };
});`;

const WORKER_SCRIPT = `
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("message", async (event) => {
  const started = performance.now();
  const response = await fetch("/stream", { cache: "no-store" });
  const reader = response.body.getReader({ mode: "byob" });
  let buffer = new ArrayBuffer(${MiB});
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read(new Uint8Array(buffer));
    if (done) break;
    got += value.length;
    buffer = value.buffer;
  }
  event.data.port.postMessage(got / ${MiB} / ((performance.now() - started) / 1000));
});
self.addEventListener("fetch", (event) => {
  if (new URL(event.request.url).pathname !== "/made") return;
  const piece = new Uint8Array(${MiB}).fill(7);
  let sent = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (sent >= ${TOTAL}) return controller.close();
      controller.enqueue(piece.slice());
      sent += piece.length;
    },
  }, { highWaterMark: 0 });
  event.respondWith(new Response(body, {
    headers: { "Content-Type": "application/octet-stream", "Content-Disposition": "attachment" },
  }));
});`;

/** Serves the scripts, the stream and the WebSocket the ceilings are measured with. */
function ceilingServer(certPem: string, keyPem: string): Deno.HttpServer<Deno.NetAddr> {
  const piece = new Uint8Array(256 * 1024).fill(7);
  const message = new Uint8Array(64 * 1024);
  const script = (text: string) =>
    new Response(text, { headers: { "Content-Type": "text/javascript" } });
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: certPem, key: keyPem, onListen() {} },
    (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/page.js") return script(PAGE_SCRIPT);
      if (path === "/sw.js") return script(WORKER_SCRIPT);
      if (path === "/stream") {
        let sent = 0;
        return new Response(
          new ReadableStream({
            pull(controller) {
              if (sent >= TOTAL) return controller.close();
              controller.enqueue(piece);
              sent += piece.length;
            },
          }),
        );
      }
      if (path === "/ws") {
        const { socket, response } = Deno.upgradeWebSocket(request);
        socket.onmessage = () => {
          for (let sent = 0; sent < TOTAL; sent += message.length) socket.send(message);
        };
        return response;
      }
      return new Response(`<!doctype html><script src="/page.js"></script>`, {
        headers: { "Content-Type": "text/html" },
      });
    },
  );
}

/** Measures the ceilings in `page` (its context must accept downloads). */
export async function chromiumCeilings(
  page: Page,
  certPem: string,
  keyPem: string,
): Promise<ChromiumCeilings> {
  const server = ceilingServer(certPem, keyPem);
  try {
    const origin = `https://127.0.0.1:${server.addr.port}`;
    await page.goto(`${origin}/`);
    await page.evaluate("navigator.serviceWorker.ready");
    await page.reload();
    const webSocket = await page.evaluate(`webSocket("wss://127.0.0.1:${server.addr.port}/ws")`);
    const serviceWorkerFetch = await page.evaluate(`inWorker("fetch")`);
    const started = performance.now();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.evaluate("download()"),
    ]);
    const path = await download.path();
    const seconds = (performance.now() - started) / 1000;
    const size = path === null ? 0 : (await Deno.stat(path)).size;
    await download.delete();
    if (size !== TOTAL) throw new Error(`the ceiling's download saved ${size} bytes`);
    return {
      webSocket: webSocket as number,
      serviceWorkerFetch: serviceWorkerFetch as number,
      serviceWorkerDownload: TOTAL / MiB / seconds,
    };
  } finally {
    await server.shutdown();
  }
}
