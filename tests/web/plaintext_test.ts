/**
 * The server never sees plaintext from the web page: a server assembled in this process from
 * the same parts `burrow serve` uses records every byte its web sessions read (the WebSocket and
 * the chunk streams), a tree
 * with a marker string in its files is pushed with the real command line, and a browser session
 * logs in, browses, previews and downloads; then neither the marker nor the password is in
 * anything the server received.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DEFAULT_CLIENT_KDF_PARAMS } from "../../src/auth/mod.ts";
import { hashSecret } from "../../src/auth/password_hash.ts";
import { newCredentials } from "../../src/auth/new_credentials.ts";
import { concatBytes } from "../../src/concat_bytes.ts";
import { silentLogger } from "../../src/log.ts";
import { RepositoryRegistry } from "../../src/server/repositories.ts";
import { DEFAULT_SERVER_LIMITS, startServer } from "../../src/server/server.ts";
import type { SessionConn } from "../../src/server/session.ts";
import { SessionHost } from "../../src/server/session_host.ts";
import { CHEAP_HASH, testAccounts } from "../../src/server/_testing.ts";
import { UNRESTRICTED } from "../../src/users/user_store.ts";
import { generateCertificates } from "../../src/tls/certificates.ts";
import { PAGE_ASSETS, startWebServer } from "../../src/web/mod.ts";
import { burrow } from "../e2e/_harness.ts";
import { chromiumProblem, launchBrowser, newContext } from "./_browser.ts";
import { makeWebTree } from "./_web_tree.ts";

const PASSWORD = "a password the server must never see";

/** A session host that keeps a copy of every byte its sessions read. */
class RecordingHost extends SessionHost {
  readonly received: Uint8Array[] = [];
  /** The way in of each session served. */
  readonly vias = new Set<string>();

  override serve(conn: SessionConn, via?: string): Promise<void> {
    this.vias.add(via ?? "");
    const read = conn.read.bind(conn);
    conn.read = async (p) => {
      const n = await read(p);
      if (n !== null) this.received.push(p.slice(0, n));
      return n;
    };
    return super.serve(conn, via);
  }
}

function contains(chunks: readonly Uint8Array[], text: string): boolean {
  const all = concatBytes(chunks);
  // latin1 maps each byte to one character, so a byte string search is a string search.
  return new TextDecoder("latin1").decode(all).includes(
    new TextDecoder("latin1").decode(new TextEncoder().encode(text)),
  );
}

Deno.test({
  name: "the server receives neither plaintext nor the password from the web page",
  ignore: chromiumProblem !== null,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const work = await Deno.makeTempDir({ prefix: "burrow-web-plain-" });
  const { accounts, store, close } = testAccounts({ clientKdfParams: DEFAULT_CLIENT_KDF_PARAMS });
  const certs = await generateCertificates({ hosts: ["127.0.0.1"] });
  await Deno.mkdir(`${work}/data`);
  await Deno.writeTextFile(`${work}/ca.pem`, certs.caCertPem);
  const credentials = await newCredentials(PASSWORD);
  await store.add({
    name: "carol",
    created: new Date().toISOString(),
    lastLogin: null,
    kdf: credentials.kdf,
    verifier: await hashSecret(credentials.authKey, CHEAP_HASH),
    temporaryPassword: false,
    ...UNRESTRICTED,
  });
  const options = {
    accounts,
    repositories: new RepositoryRegistry(`${work}/data`, {
      account: (name: string) => store.get(name),
    }),
    limits: DEFAULT_SERVER_LIMITS,
    logger: silentLogger,
  };
  const tlsServer = await startServer({
    hostname: "127.0.0.1",
    port: 0,
    certPem: certs.serverCertPem,
    keyPem: certs.serverKeyPem,
    ...options,
  });
  const webSessions = new RecordingHost(options);
  const web = startWebServer({
    hostname: "127.0.0.1",
    port: 0,
    certPem: certs.serverCertPem,
    keyPem: certs.serverKeyPem,
    assets: PAGE_ASSETS,
    hosts: ["127.0.0.1"],
    sessions: webSessions,
    logger: silentLogger,
  });
  const browser = await launchBrowser(certs.serverCertPem);
  try {
    const tree = await makeWebTree(work);
    const server = `127.0.0.1:${tlsServer.address.port}`;
    const push = await burrow(
      [
        "push",
        tree.root,
        "--name",
        "docs",
        "--server",
        server,
        "--ca",
        `${work}/ca.pem`,
        "--user",
        "carol",
      ],
      { env: { BURROW_PASSWORD: PASSWORD } },
    );
    assert.equal(push.code, 0, push.stderr);

    const page = await (await newContext(browser)).newPage();
    await page.goto(`https://127.0.0.1:${web.address.port}/`);
    await page.getByLabel("User name").fill("carol");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator("table.snapshots tbody button").first().click();
    await page.getByRole("button", { name: "Preview notes.md" }).click();
    await page.getByRole("dialog").locator("pre").filter({ hasText: tree.marker }).waitFor();
    await page.keyboard.press("Escape");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download notes.md" }).first().click(),
    ]);
    assert.ok(
      new TextDecoder().decode(await Deno.readFile((await download.path())!)).includes(tree.marker),
    );
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByLabel("Password").waitFor();

    const bytes = webSessions.received.reduce((sum, c) => sum + c.length, 0);
    assert.ok(bytes > 100, `the server recorded ${bytes} bytes from the page`);
    assert.deepEqual([...webSessions.vias].sort(), ["stream", "websocket"]);
    assert.ok(contains(webSessions.received, "carol"), "the recording holds the login");
    assert.ok(!contains(webSessions.received, tree.marker), "the marker reached the server");
    assert.ok(!contains(webSessions.received, PASSWORD), "the password reached the server");
    assert.ok(!contains(webSessions.received, "notes.md"), "a file name reached the server");
  } finally {
    await browser.close();
    await web.shutdown();
    await tlsServer.shutdown();
    await webSessions.shutdown();
    await close();
    await Deno.remove(work, { recursive: true });
  }
});
