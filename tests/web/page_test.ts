/**
 * The web page end to end, in real Chromium: a real `burrow serve --web`, a tree pushed with the
 * real command line, then log in, browse, download a file and a folder as zip, preview, log out,
 * and a damaged pack that makes a download fail visibly.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { BlobReader, Uint8ArrayWriter, ZipReader } from "@zip.js/zip.js";
import type { Download } from "playwright-core";
import { addUser, clientOf, withServer } from "../e2e/_harness.ts";
import { ARTIFACTS, chromiumProblem, newContext, submitLogin, withBrowser } from "./_browser.ts";
import { HOSTILE_NAME, makeWebTree } from "./_web_tree.ts";

const PASSWORD = "correct horse battery";

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function downloaded(download: Download): Promise<Uint8Array<ArrayBuffer>> {
  const failure = await download.failure();
  assert.equal(failure, null, `download failed: ${failure}`);
  return await Deno.readFile((await download.path())!);
}

Deno.test({
  name: "the web page logs in, browses, downloads verified files and zips, and logs out",
  ignore: chromiumProblem !== null,
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  await withServer((server, work) =>
    withBrowser(server, async (browser) => {
      const url = server.webUrl!;
      await addUser(server, "alice", PASSWORD);
      const tree = await makeWebTree(work);
      const push = await clientOf(server, "alice", PASSWORD)(["push", tree.root, "--name", "docs"]);
      assert.equal(push.code, 0, push.stderr);
      await Deno.mkdir(ARTIFACTS, { recursive: true });

      const context = await newContext(browser);
      const page = await context.newPage();
      const dialogs: string[] = [];
      page.on("dialog", (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(error.message));
      await page.goto(url);

      await t.step("a wrong password shows one clear message", async () => {
        await page.screenshot({ path: `${ARTIFACTS}login.png` });
        await submitLogin(page, "alice", "not the password");
        await page.getByRole("alert").filter({ hasText: "Wrong user name or password." }).waitFor();
      });

      await t.step("the right password shows the snapshots grouped by set", async () => {
        await submitLogin(page, "alice", PASSWORD);
        await page.getByRole("heading", { name: "Snapshots" }).waitFor();
        await page.getByRole("heading", { name: "docs" }).waitFor();
        assert.match(
          await page.locator("table.snapshots tbody tr").first().innerText(),
          /[0-9a-f]{16}/,
        );
      });

      await t.step("a snapshot opens on its folder tree; a nested folder opens", async () => {
        await page.locator("table.snapshots tbody button").first().click();
        await page.getByRole("heading", { name: "docs" }).waitFor();
        const names = await page.locator(".row .name").allInnerTexts();
        assert.ok(
          names[0]!.includes("photos") || names[0]!.includes("reports 2026"),
          names.join("|"),
        );
        assert.ok(names.some((n) => n.includes("link to notes") && n.includes("→ notes.md")));
        await page.getByRole("button", { name: "reports 2026", exact: true }).click();
        await page.getByRole("heading", { name: "reports 2026" }).waitFor();
        const fifo = page.locator(".row[data-type=fifo]");
        assert.match(await fifo.innerText(), /pipe[\s\S]*prw-/);
        assert.equal(await fifo.getByRole("button").count(), 0, "a fifo has nothing to download");
        await page.getByRole("button", { name: "été", exact: true }).click();
        await page.getByRole("heading", { name: "été" }).waitFor();
        const link = page.locator(".row[data-type=hardlink]");
        // The walk meets "deep link.txt" first (a space sorts before "."): the other is the link.
        assert.match(await link.innerText(), /^deep\.txt\s*= reports 2026\/été\/deep link\.txt/);
        await page.getByRole("navigation", { name: "Breadcrumbs" }).getByRole("button", {
          name: "reports 2026",
        }).click();
        await page.getByRole("heading", { name: "reports 2026" }).waitFor();
        await page.screenshot({ path: `${ARTIFACTS}tree.png` });
      });

      await t.step("a file downloads, verified, byte for byte", async () => {
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.getByRole("button", { name: "Download big.bin" }).first().click(),
        ]);
        assert.equal(download.suggestedFilename(), "big.bin");
        const bytes = await downloaded(download);
        assert.equal(
          sha256(bytes),
          sha256(await Deno.readFile(`${tree.root}/reports 2026/big.bin`)),
        );
      });

      await t.step("a folder downloads as a zip with every file byte for byte", async () => {
        await page.getByRole("navigation", { name: "Breadcrumbs" }).getByRole("button").nth(1)
          .click();
        await page.getByRole("heading", { name: "docs" }).waitFor();
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.getByRole("button", { name: "Download reports 2026 as .zip" }).click(),
        ]);
        assert.equal(download.suggestedFilename(), "reports 2026.zip");
        const zip = new ZipReader(new BlobReader(new Blob([await downloaded(download)])));
        const files = new Map<string, Uint8Array>();
        for (const entry of await zip.getEntries()) {
          if (!entry.directory) {
            files.set(entry.filename, await entry.getData!(new Uint8ArrayWriter()));
          }
        }
        await zip.close();
        assert.deepEqual([...files.keys()].sort(), [
          "reports 2026/big.bin",
          "reports 2026/summary – été.txt",
          "reports 2026/été/deep link.txt",
          "reports 2026/été/deep.txt",
        ], "a hard link is a copy, a fifo is left out");
        for (const [name, bytes] of files) {
          assert.equal(
            sha256(bytes),
            sha256(await Deno.readFile(`${tree.root}/${name}`)),
            name,
          );
        }
      });

      await t.step("a file named like markup shows as text and runs nothing", async () => {
        const row = page.locator(".row").filter({ hasText: HOSTILE_NAME });
        await row.waitFor();
        assert.equal(await page.locator("img[src=x]").count(), 0);
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          row.getByRole("button", { name: `Download ${HOSTILE_NAME}` }).first().click(),
        ]);
        assert.equal(
          new TextDecoder().decode(await downloaded(download)),
          `${tree.marker}\nnot markup\n`,
        );
        assert.deepEqual(dialogs, []);
      });

      await t.step("a text file previews as text", async () => {
        await page.getByRole("button", { name: "Preview notes.md" }).click();
        const dialog = page.getByRole("dialog", { name: "Preview of notes.md" });
        await dialog.waitFor();
        assert.ok((await dialog.locator("pre").innerText()).includes(tree.marker));
        await page.keyboard.press("Escape");
        await dialog.waitFor({ state: "detached" });
      });

      await t.step("logging out stops a file download in progress", async () => {
        const folder = () => page.getByRole("button", { name: "reports 2026", exact: true });
        await folder().click();
        await page.getByRole("heading", { name: "reports 2026" }).waitFor();
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.getByRole("button", { name: "Download big.bin" }).first().click(),
        ]);
        await page.getByRole("button", { name: "Log out" }).click();
        assert.notEqual(await download.failure(), null, "the download went on after the logout");
        // Back where the next steps expect the page: the root folder, after "reports 2026".
        await submitLogin(page, "alice", PASSWORD);
        await page.locator("table.snapshots tbody button").first().click();
        await folder().click();
        await page.getByRole("heading", { name: "reports 2026" }).waitFor();
        await page.getByRole("navigation", { name: "Breadcrumbs" }).getByRole("button").nth(1)
          .click();
        await page.getByRole("heading", { name: "docs" }).waitFor();
      });

      await t.step("logging out forgets the keys and leaves nothing stored", async () => {
        await page.getByRole("button", { name: "Log out" }).click();
        await page.getByLabel("Password").waitFor();
        // Run in the page (a string: these are the browser's globals, not Deno's).
        const stored = await page.evaluate(`(async () => ({
          local: localStorage.length,
          session: sessionStorage.length,
          cookies: document.cookie,
          databases: (await indexedDB.databases()).length,
        }))()`);
        assert.deepEqual(stored, { local: 0, session: 0, cookies: "", databases: 0 });
        await page.goBack();
        await page.getByLabel("Password").waitFor();
        assert.equal(await page.locator(".row").count(), 0);
      });

      await t.step(
        "a damaged pack makes a download fail visibly, with no complete file",
        async () => {
          await damageLargestPack(server.dataDir);
          await submitLogin(page, "alice", PASSWORD);
          // The address still names the folder the session was in: the page opens it again.
          await page.getByRole("heading", { name: "reports 2026" }).waitFor();
          const [download] = await Promise.all([
            page.waitForEvent("download"),
            page.getByRole("button", { name: "Download big.bin" }).first().click(),
          ]);
          assert.notEqual(await download.failure(), null);
          await page.getByRole("alert").filter({ hasText: "big.bin" }).waitFor();
        },
      );
      assert.deepEqual(pageErrors, []);
      await context.close();
    })
  );
});

/** Flips one byte in the middle of the user's largest pack file. */
async function damageLargestPack(dataDir: string): Promise<void> {
  let largest = { path: "", size: 0 };
  const visit = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await visit(path);
      else if (entry.name.endsWith(".pack")) {
        const { size } = await Deno.stat(path);
        if (size > largest.size) largest = { path, size };
      }
    }
  };
  await visit(`${dataDir}/repos`);
  assert.ok(largest.size > 1024 * 1024, "no pack found");
  const file = await Deno.open(largest.path, { read: true, write: true });
  try {
    const at = Math.floor(largest.size / 2);
    const byte = new Uint8Array(1);
    await file.seek(at, Deno.SeekMode.Start);
    await file.read(byte);
    byte[0] = byte[0]! ^ 0xff;
    await file.seek(at, Deno.SeekMode.Start);
    await file.write(byte);
  } finally {
    file.close();
  }
}
