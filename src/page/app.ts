/**
 * The web page's entry point: login, the snapshot list, folders, downloads and previews, with
 * the address bar's fragment as the route (`#/snapshot/ID/PATH`), so Back and Forward work.
 *
 * Invariants: keys live only in this page's memory (no storage, no cookies), and are dropped
 * on logout, on the idle timeout and when the connection is lost; every name is shown as text.
 *
 * @module
 */
import type { SnapshotListing } from "../client/remote_repository.ts";
import type { SnapshotRecord, TreeEntry } from "../format/snapshot_model.ts";
import { loadWebAssembly } from "../format/load_web_assembly.ts";
import { type Download, downloadWorker, forgetDownloads, startDownload } from "./downloads.ts";
import { el, replaceChildren } from "./dom.ts";
import { nameOf } from "../browse/entry_text.ts";
import { loginView } from "./login_view.ts";
import { connectionLost, failureText, loginFailureText } from "./messages.ts";
import { openPageConnection, type PageConnection, PageSession } from "./page_session.ts";
import { readAll, showPreview } from "./preview.ts";
import { snapshotsView } from "./snapshots_view.ts";
import { Transfers } from "./transfers.ts";
import { treeView } from "./tree_view.ts";

/** Idle time after which the page logs out and forgets the keys. */
const IDLE_LOGOUT_MS = 15 * 60 * 1000;
const ACTIVITY_EVENTS = ["pointerdown", "keydown", "wheel", "touchstart"] as const;

/** The page: one at a time of login, snapshot list, folder. */
class App {
  readonly #main = document.getElementById("main")!;
  readonly #who = document.getElementById("who")!;
  readonly #logout = document.getElementById("logout") as HTMLButtonElement;
  readonly #transfers = new Transfers(document.getElementById("transfers")!);
  #session: PageSession | null = null;
  #listing: SnapshotListing | null = null;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** The connection the next login takes over (see `#warmUp`); null when none is open. */
  #warm: Promise<PageConnection> | null = null;

  start(): void {
    this.#logout.addEventListener("click", () => void this.#end("You logged out."));
    addEventListener("hashchange", () => void this.#route());
    for (const type of ACTIVITY_EVENTS) {
      addEventListener(type, () => this.#active(), { passive: true, capture: true });
    }
    this.#main.addEventListener("input", () => this.#warmUp());
    this.#showLogin(null);
    this.#warmUp();
    performance.mark("burrow:ready");
  }

  /**
   * Opens the connection the next login will use while the login form shows, so that logging in
   * does not wait for the WebSocket and the version handshake. One at a time: one the server
   * closed (it drops a connection that has not logged in within its handshake timeout) is
   * replaced at the next keystroke, and a login still checks that the one it takes is open.
   */
  #warmUp(): void {
    if (this.#session !== null || this.#warm !== null) return;
    const warm = openPageConnection(webSocketUrl());
    this.#warm = warm;
    const drop = () => {
      if (this.#warm === warm) this.#warm = null;
    };
    warm.then(({ socket }) => socket.closed.then(drop), drop);
  }

  #showLogin(notice: string | null): void {
    this.#who.hidden = true;
    this.#logout.hidden = true;
    replaceChildren(this.#main, loginView((user, password) => this.#login(user, password), notice));
  }

  async #login(user: string, password: string): Promise<string | null> {
    performance.mark("burrow:login-submitted");
    try {
      const warm = this.#warm;
      this.#warm = null;
      const session = await PageSession.login(user, password, webSocketUrl(), warm);
      this.#session = session;
      const { kdfMs } = session.timings;
      performance.measure("burrow:key-derivation", { duration: kdfMs, end: performance.now() });
      this.#listing = await session.snapshots();
    } catch (error) {
      await this.#forget();
      return loginFailureText(error);
    }
    this.#who.textContent = this.#session.user;
    this.#who.hidden = false;
    this.#logout.hidden = false;
    this.#active();
    await this.#route(this.#listing);
    // Once the first view is up, not before (it would compete with the login): the download
    // worker, so that the first download does not wait for it, and the faster hashing.
    downloadWorker().catch(() => {});
    void loadWebAssembly();
    return null;
  }

  /**
   * Shows what the fragment names; the snapshot list is `listing` when given (just fetched), else
   * fetched afresh.
   */
  async #route(listing?: SnapshotListing): Promise<void> {
    const session = this.#session;
    if (session === null) return;
    const match = /^#\/snapshot\/([0-9a-f]{16})\/?(.*)$/.exec(location.hash);
    if (match === null) return await this.#showSnapshots(session, listing);
    const record = this.#listing?.records.find((r) => r.id === match[1]);
    if (record === undefined) return this.#go("");
    const folder = match[2]!.split("/").filter((p) => p !== "").map(decodeURIComponent).join("/");
    replaceChildren(
      this.#main,
      el("p", { class: "hint", attrs: { role: "status" } }, "Reading the file list…"),
    );
    try {
      const tree = await session.tree(record);
      if (this.#session !== session) return;
      if (!tree.isFolder(folder)) return this.#go(`/snapshot/${record.id}/`);
      replaceChildren(
        this.#main,
        treeView(record, tree, folder, {
          snapshots: () => this.#go(""),
          folder: (path) => this.#go(`/snapshot/${record.id}/${encodePath(path)}`),
          download: (entry) => void this.#download(entry),
          downloadZip: (path) => void this.#downloadZip(record, path),
          preview: (entry) => void this.#preview(entry),
        }),
      );
      this.#main.querySelector<HTMLElement>("#filter")?.focus();
    } catch (error) {
      await this.#failed(error);
    }
  }

  async #showSnapshots(session: PageSession, listing?: SnapshotListing): Promise<void> {
    try {
      this.#listing = listing ?? await session.snapshots();
    } catch (error) {
      return await this.#failed(error);
    }
    if (this.#session !== session) return;
    replaceChildren(
      this.#main,
      snapshotsView(this.#listing, (record) => this.#go(`/snapshot/${record.id}/`)),
    );
    performance.mark("burrow:snapshots-shown");
  }

  #go(route: string): void {
    const hash = route === "" ? "#/" : `#${route}`;
    if (location.hash === hash) void this.#route();
    else location.hash = hash;
  }

  async #download(entry: TreeEntry): Promise<void> {
    const session = this.#session;
    if (session === null) return;
    const name = nameOf(entry.path);
    await this.#save({ name, size: entry.size, file: session.fileJob(entry) });
  }

  async #downloadZip(record: SnapshotRecord, folder: string): Promise<void> {
    const session = this.#session;
    if (session === null) return;
    const name = `${folder === "" ? `${record.set}-${record.id}` : nameOf(folder)}.zip`;
    try {
      const tree = await session.tree(record);
      await this.#save({ name, size: null, stream: await session.zipStream(tree.subtree(folder)) });
    } catch (error) {
      this.#transfers.fail(name, error);
    }
  }

  /** Starts a download, with a card that follows it. */
  async #save(download: Download): Promise<void> {
    const track = this.#transfers.track(download.name, download.size);
    try {
      await startDownload(download, track);
    } catch (error) {
      track({ type: "failed", message: failureText(error) });
    }
  }

  async #preview(entry: TreeEntry): Promise<void> {
    const session = this.#session;
    if (session === null) return;
    try {
      showPreview(entry, await readAll(session.fileStream(entry)));
    } catch (error) {
      this.#transfers.fail(nameOf(entry.path), error);
    }
  }

  /** Shows a failure in the page; a lost connection ends the session. */
  async #failed(error: unknown): Promise<void> {
    if (connectionLost(error)) {
      return await this.#end("The connection to the server was lost: log in again.");
    }
    replaceChildren(
      this.#main,
      el("p", { class: "alert", attrs: { role: "alert" } }, failureText(error)),
      el(
        "button",
        { attrs: { type: "button" }, on: { click: () => this.#go("") } },
        "Back to the snapshots",
      ),
    );
  }

  #active(): void {
    clearTimeout(this.#idleTimer);
    if (this.#session === null) return;
    this.#idleTimer = setTimeout(() => {
      if (this.#transfers.busy) return this.#active();
      void this.#end(
        "You were logged out after 15 minutes without activity; your keys were forgotten.",
      );
    }, IDLE_LOGOUT_MS);
  }

  /** Logs out: forgets the keys and the listing, and shows the login form with `notice`. */
  async #end(notice: string): Promise<void> {
    await this.#forget();
    history.replaceState(null, "", location.pathname);
    this.#transfers.clear();
    this.#showLogin(notice);
  }

  async #forget(): Promise<void> {
    clearTimeout(this.#idleTimer);
    const session = this.#session;
    this.#session = null;
    this.#listing = null;
    forgetDownloads();
    await session?.close().catch(() => {});
  }
}

/** The WebSocket of the server that served this page. */
function webSocketUrl(): string {
  return `wss://${location.host}/ws`;
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

new App().start();
