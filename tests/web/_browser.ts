/**
 * Real Chromium for the web page's tests, driven by playwright-core: Debian's `chromium`
 * package (`.ci/run` installs it), started headless with no network of its own, trusting the
 * test server's certificate by its public key (so the page is a secure context and its service
 * worker registers, as it would for a user who trusts the burrow CA).
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { createHash, X509Certificate } from "node:crypto";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Where Debian's package puts Chromium; BURROW_CHROMIUM overrides it. */
const CHROMIUM = Deno.env.get("BURROW_CHROMIUM") ?? "/usr/bin/chromium";

/** Folder where the browser tests leave screenshots for people to look at. */
export const ARTIFACTS = new URL("../../test-artifacts/web/", import.meta.url).pathname;

/**
 * Why the browser tests cannot run here, or null when Chromium starts. Decided once per test
 * module, at load, so that the tests are reported as ignored with the reason printed.
 */
export const chromiumProblem: string | null = await (async () => {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    return `no Chromium at ${CHROMIUM} (install Debian's chromium package, or set BURROW_CHROMIUM)`;
  }
  try {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumFlags() });
    await browser.close();
    return null;
  } catch (error) {
    return `Chromium at ${CHROMIUM} does not start: ${String(error).split("\n")[0]}`;
  }
})();

if (chromiumProblem !== null) console.log(`browser tests skipped: ${chromiumProblem}`);

function chromiumFlags(extra: string[] = []): string[] {
  return [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    ...extra,
  ];
}

/** The base64 SHA-256 of a certificate's public key, as Chromium's SPKI allow-list takes it. */
export function spkiHash(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

/** Chromium that trusts the server whose certificate is `serverCertPem`. */
export async function launchBrowser(serverCertPem: string): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: chromiumFlags([`--ignore-certificate-errors-spki-list=${spkiHash(serverCertPem)}`]),
  });
}

/** Runs `body` with a browser that trusts `server`'s certificate, and always closes it. */
export async function withBrowser(
  server: { dataDir: string },
  body: (browser: Browser) => Promise<void>,
): Promise<void> {
  const browser = await launchBrowser(await Deno.readTextFile(`${server.dataDir}/tls/server.pem`));
  try {
    await body(browser);
  } finally {
    await browser.close();
  }
}

/** A fresh profile (no storage from another test) that accepts downloads. */
export async function newContext(
  browser: Browser,
  viewport = { width: 1280, height: 800 },
): Promise<BrowserContext> {
  return await browser.newContext({ acceptDownloads: true, viewport });
}

/** Fills the page's login form with `user` and `password` and submits it. */
export async function submitLogin(page: Page, user: string, password: string): Promise<void> {
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}
