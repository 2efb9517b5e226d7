/**
 * The web page in headless Chromium against a real `burrow serve --web` on 127.0.0.1: a 1 GiB
 * file (quick: 256 MiB) of unique incompressible bytes is pushed with the CLI, pulled with the
 * CLI, then downloaded through the page (decrypted and verified in the browser, streamed to disk
 * by the service worker) and compared with `cmp`. Measures the page's MiB/s beside the CLI's,
 * the page's JS heap peak during the download (CDP `Performance.getMetrics`, sampled), the time
 * from opening the page to the snapshot list without the key derivation, and the key
 * derivation's own time in Chromium.
 *
 * Usage: deno run -A scripts/bench/web_page.ts [--out DIR] [--quick]
 *
 * @module
 */
import type { BrowserContext, Page } from "playwright-core";
import { launchBrowser, newContext } from "../../tests/web/_browser.ts";
import { chromiumCeilings } from "./_chromium_ceilings.ts";
import { writeRandomFile } from "./_bench_data.ts";
import { type CliRun, lastErrorLine, sameContent, withScratch } from "./_bench_process.ts";
import {
  fail,
  median,
  MiB,
  newResult,
  parseBenchArgs,
  progress,
  round,
  runBench,
} from "./_bench_result.ts";
import {
  addUsers,
  BENCH_PASSWORD,
  type BurrowServer,
  runClient,
  withServer,
} from "./_bench_server.ts";

const SPEED_TARGET = 60;
const SPEED_AIM_SHARE = 0.5;
const HEAP_LIMIT_MiB = 300;
const LIST_LIMIT_MS = 300;
/** Page opens whose median time to the snapshot list is reported (each in a fresh context). */
const LIST_OPENS = 5;

const options = parseBenchArgs(Deno.args);
const fileBytes = (options.quick ? 256 : 1024) * MiB;
const result = newResult("web_page");

/**
 * Opens the page in `context` as a user would in a browser that is already running (a 404 of the
 * same server first starts the site's renderer and loads none of the page's files), logs in, and
 * waits for the snapshot list.
 */
async function openAndLogIn(context: BrowserContext, webUrl: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(new URL("/not-the-page", webUrl).href);
  await page.goto(webUrl);
  await page.getByLabel("User name").fill("web");
  await page.getByLabel("Password").fill(BENCH_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Snapshots" }).waitFor();
  return page;
}

/** Milliseconds between two of the page's performance marks or measures. */
async function pageTimings(page: Page): Promise<{ listMs: number; kdfMs: number }> {
  return await page.evaluate(`(() => {
    const at = (name) => performance.getEntriesByName(name).at(-1);
    const ready = at("burrow:ready").startTime;
    const submitted = at("burrow:login-submitted").startTime;
    const shown = at("burrow:snapshots-shown").startTime;
    const kdf = at("burrow:key-derivation").duration;
    return { listMs: ready + (shown - submitted - kdf), kdfMs: kdf };
  })()`);
}

/** The largest RSS of Chromium's renderer processes now, in MiB (from `ps`). */
async function rendererRssMiB(): Promise<number> {
  const ps = await new Deno.Command("ps", {
    args: ["-C", "chromium", "-o", "rss=,args="],
    stdout: "piped",
  })
    .output();
  let peak = 0;
  for (const line of new TextDecoder().decode(ps.stdout).split("\n")) {
    const [rss, ...args] = line.trim().split(/\s+/);
    if (args.join(" ").includes("--type=renderer")) peak = Math.max(peak, Number(rss) / 1024);
  }
  return peak;
}

/**
 * Samples the page's JS heap (CDP) and the renderers' RSS every 100 ms until `done` settles;
 * resolves with both peaks in MiB.
 */
async function memoryPeaks(
  page: Page,
  done: Promise<unknown>,
): Promise<{ heapMiB: number; rendererMiB: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  let heap = 0;
  let renderer = 0;
  let running = true;
  void done.finally(() => (running = false));
  while (running) {
    const { metrics } = await cdp.send("Performance.getMetrics");
    const used = metrics.find((m: { name: string }) => m.name === "JSHeapUsedSize")?.value ?? 0;
    heap = Math.max(heap, used);
    renderer = Math.max(renderer, await rendererRssMiB());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await cdp.detach();
  return { heapMiB: heap / MiB, rendererMiB: renderer };
}

async function measure(server: BurrowServer, scratch: string): Promise<void> {
  if (server.webUrl === null) throw new Error("the server printed no web address");
  await addUsers(server, ["web"]);
  const file = `${scratch}/web.bin`;
  const size = `${fileBytes / MiB} MiB`;
  progress(`writing ${size} of unique random bytes`);
  await writeRandomFile(file, fileBytes, "web_page");
  const push = await runClient(server, "web", ["push", file, "--name", "web"]);
  if (push.code !== 0) throw new Error(`push failed: ${lastErrorLine(push)}`);
  progress(`CLI pull of ${size}`);
  const pull: CliRun = await runClient(server, "web", ["pull", `${scratch}/pulled`]);
  if (pull.code !== 0) throw new Error(`pull failed: ${lastErrorLine(pull)}`);
  await Deno.remove(`${scratch}/pulled`, { recursive: true });

  const certPem = await Deno.readTextFile(`${server.dataDir}/tls/server.pem`);
  const keyPem = await Deno.readTextFile(`${server.dataDir}/tls/server.key`);
  const browser = await launchBrowser(certPem);
  try {
    progress("ceilings of this Chromium (WebSocket, service worker fetch and download)");
    // In a context of their own, closed before the page is timed: nothing of theirs runs on.
    const ceilingContext = await newContext(browser);
    const ceilings = await chromiumCeilings(await ceilingContext.newPage(), certPem, keyPem);
    await ceilingContext.close();
    progress(`page open to snapshot list, ${LIST_OPENS} times`);
    const opens: { listMs: number; kdfMs: number }[] = [];
    for (let open = 1; open < LIST_OPENS; open++) {
      const context = await newContext(browser);
      opens.push(await pageTimings(await openAndLogIn(context, server.webUrl)));
      await context.close();
    }
    const context = await newContext(browser);
    const page = await openAndLogIn(context, server.webUrl);
    opens.push(await pageTimings(page));
    const listMs = median(opens.map((open) => open.listMs));
    const kdfMs = median(opens.map((open) => open.kdfMs));
    await page.locator("table.snapshots tbody button").first().click();
    await page.getByRole("heading", { name: "web" }).waitFor();
    progress(`page download of ${size}`);
    const started = performance.now();
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 600_000 }),
      page.getByRole("button", { name: "Download web.bin" }).first().click(),
    ]);
    const saved = download.path();
    const { heapMiB: peakMiB, rendererMiB } = await memoryPeaks(page, saved);
    const path = await saved;
    const pageMs = performance.now() - started;
    const failure = await download.failure();
    if (failure !== null || path === null) {
      throw new Error(`the page's download failed: ${failure}`);
    }
    if (!(await sameContent("cmp", file, path))) {
      fail(result, "the page's download differs from the pushed file (cmp)");
    }
    await download.delete();
    const pageSpeed = fileBytes / MiB / (pageMs / 1000);
    const cliSpeed = fileBytes / MiB / (pull.wallMs / 1000);
    result.rows.push(
      { label: `CLI pull ${size}`, value: round(cliSpeed), unit: "MiB/s" },
      {
        label: "bare WebSocket into this Chromium (64 KiB messages, nothing decrypted)",
        value: round(ceilings.webSocket),
        unit: "MiB/s",
      },
      {
        label: "bare HTTPS fetch read by a service worker (BYOB, nothing decrypted or saved)",
        value: round(ceilings.serviceWorkerFetch),
        unit: "MiB/s",
      },
      {
        label: "download a service worker makes itself (nothing fetched or decrypted)",
        value: round(ceilings.serviceWorkerDownload),
        unit: "MiB/s",
      },
      {
        label: `page download ${size}`,
        value: round(pageSpeed),
        unit: "MiB/s",
        target: `≥ ${SPEED_TARGET} MiB/s`,
        met: pageSpeed >= SPEED_TARGET,
      },
      {
        label: "page / CLI speed",
        value: round(pageSpeed / cliSpeed, 2),
        unit: "ratio",
        target: `aim ≥ ${SPEED_AIM_SHARE}`,
      },
      {
        label: "page JS heap peak during the download",
        value: round(peakMiB),
        unit: "MiB",
        target: `≤ ${HEAP_LIMIT_MiB} MiB`,
        met: peakMiB <= HEAP_LIMIT_MiB,
      },
      {
        label: "Chromium renderer RSS peak during the download (ps)",
        value: round(rendererMiB),
        unit: "MiB",
      },
      {
        label: "page open to snapshot list, without key derivation",
        value: round(listMs),
        unit: "ms",
        target: `≤ ${LIST_LIMIT_MS} ms`,
        met: listMs <= LIST_LIMIT_MS,
      },
      { label: "key derivation (Argon2id + HKDF) in Chromium", value: round(kdfMs), unit: "ms" },
    );
    await context.close();
  } finally {
    await browser.close();
  }
}

await runBench(
  options,
  result,
  () =>
    withScratch(
      "burrow-bench-web-",
      (scratch) =>
        withServer(scratch, (server) => measure(server, scratch), ["--web", "127.0.0.1:0"]),
    ),
  [
    `One real \`burrow serve --web\` on 127.0.0.1 with its own TLS CA, one user, one ${
      fileBytes / MiB
    } MiB file of AES-256-CTR keystream bytes (unique, incompressible), pushed with the CLI.`,
    "CLI pull: one `burrow pull` process, start-up and login included. Page download: from the click to the browser's finished download (the page decrypts and verifies every chunk; the service worker streams it to disk); compared with cmp.",
    "Ceilings: a plain `Deno.serve` over TLS with the same certificate; the page reads a WebSocket of 64 KiB messages, a service worker reads a streamed fetch with a BYOB reader (nothing kept), and a service worker answers a download with bytes it makes (1 MiB copies of one buffer). The page's download does the second and the third on one service-worker thread, and opens every blob between them.",
    `Heap: the page's main-thread JSHeapUsedSize from CDP Performance.getMetrics every 100 ms ; renderer RSS: the largest RSS of Chromium's renderer processes (page, service worker, buffers), sampled with ps at the same time. Snapshot list: page ready, plus login submitted to list shown, minus the key derivation (Argon2id m=19 MiB, t=2 in hash-wasm), which is its own row; both are the median of ${LIST_OPENS} opens, each in a fresh browser context (nothing cached) after a 404 of the same server.`,
  ],
);
