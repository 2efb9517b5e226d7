/**
 * The page's connection in real Chromium: it is opened while the login form shows, a login
 * takes it over instead of opening another, and one the server closed before the login (its
 * handshake timeout) is replaced, so the login still works.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Page, WebSocket } from "playwright-core";
import { addUser, clientOf, withServer } from "../e2e/_harness.ts";
import { chromiumProblem, newContext, submitLogin, withBrowser } from "./_browser.ts";

const PASSWORD = "correct horse battery";

/** Every WebSocket the page opens, in order, from now on. */
function socketsOf(page: Page): WebSocket[] {
  const sockets: WebSocket[] = [];
  page.on("websocket", (socket) => sockets.push(socket));
  return sockets;
}

async function logIn(page: Page): Promise<void> {
  await submitLogin(page, "bob", PASSWORD);
  await page.getByRole("heading", { name: "Snapshots" }).waitFor();
}

Deno.test({
  name: "the page connects while the login form shows, and a login uses that connection",
  ignore: chromiumProblem !== null,
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  await withServer(async (server, work) => {
    await addUser(server, "bob", PASSWORD);
    await Deno.writeTextFile(`${work}/note.txt`, "hello");
    const push = await clientOf(server, "bob", PASSWORD)(["push", `${work}/note.txt`]);
    assert.equal(push.code, 0, push.stderr);

    await withBrowser(server, async (browser) => {
      await t.step(
        "the connection opens before the login, and the login takes it over",
        async () => {
          const context = await newContext(browser);
          const page = await context.newPage();
          const sockets = socketsOf(page);
          await page.goto(server.webUrl!);
          await page.waitForEvent("websocket");
          assert.equal(sockets.length, 1, "one connection while the form shows");
          await logIn(page);
          assert.equal(sockets.length, 1, "the login opened no other connection");
          assert.equal(sockets[0]!.isClosed(), false);
          await context.close();
        },
      );

      await t.step("a connection the server closed before the login is replaced", async () => {
        const context = await newContext(browser);
        const page = await context.newPage();
        const sockets = socketsOf(page);
        await page.goto(server.webUrl!);
        const first = await page.waitForEvent("websocket");
        // Nothing sent within the handshake timeout (1 s): the server closes it.
        await first.waitForEvent("close", { timeout: 10_000 });
        await logIn(page);
        assert.equal(sockets.length, 2, "one replacement connection");
        assert.equal(sockets[1]!.isClosed(), false);
        await context.close();
      });
    });
  }, { extraArgs: ["--handshake-timeout", "1"] });
});
