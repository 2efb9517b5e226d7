/**
 * Downloads in progress, shown in a corner of the page: each has a card with its progress,
 * replaced by "saved" once complete or by a visible error (role "alert") naming the file when
 * a chunk did not verify or the connection failed; an error stays until dismissed.
 *
 * @module
 */
import { formatBytes } from "../display.ts";
import { el, replaceChildren } from "./dom.ts";
import type { DownloadReport } from "./download_messages.ts";
import { failureText } from "./messages.ts";

/** How long a finished download's card stays. */
const DONE_CARD_MS = 8_000;

/** The corner of the page where download cards appear. */
export class Transfers {
  readonly #panel: HTMLElement;
  #active = 0;

  constructor(panel: HTMLElement) {
    this.#panel = panel;
  }

  /** Whether a download is running (the idle timeout waits for it). */
  get busy(): boolean {
    return this.#active > 0;
  }

  /** Removes every card (on logout). */
  clear(): void {
    this.#panel.replaceChildren();
  }

  /**
   * A new card for the download of `name`, and the function that shows each report of it:
   * progress, then saved, failed or cancelled.
   *
   * @param size bytes expected, when known
   */
  track(name: string, size: number | null): (report: DownloadReport) => void {
    const bar = el("progress", { attrs: { max: size ?? undefined, "aria-label": name } });
    const text = el("span", {}, "starting…");
    const card = el(
      "div",
      { class: "transfer" },
      el("div", {}, "Downloading ", el("strong", {}, name)),
      bar,
      text,
    );
    this.#panel.append(card);
    this.#active++;
    let ended = false;
    return (report) => {
      if (ended) return;
      if (report.type === "progress") {
        if (size !== null) bar.value = report.bytes;
        text.textContent = size === null
          ? formatBytes(report.bytes)
          : `${formatBytes(report.bytes)} of ${formatBytes(size)}`;
        return;
      }
      ended = true;
      this.#active--;
      if (report.type === "cancelled") return card.remove();
      if (report.type === "failed") return this.fail(name, report.message, card);
      if (report.type !== "saved") return;
      card.setAttribute("role", "status");
      replaceChildren(card, "Saved ", el("strong", {}, name), ` (${formatBytes(report.bytes)})`);
      setTimeout(() => card.remove(), DONE_CARD_MS);
    };
  }

  /**
   * Shows that the download of `name` failed, and why (an error, or the sentence the download
   * worker sent), on `card` or a new one.
   */
  fail(name: string, error: unknown, card = el("div")): void {
    card.className = "transfer failed";
    card.setAttribute("role", "alert");
    const dismiss = el("button", {
      class: "quiet",
      attrs: { type: "button" },
      on: { click: () => card.remove() },
    }, "Dismiss");
    replaceChildren(
      card,
      el(
        "div",
        {},
        "Download of ",
        el("strong", {}, name),
        " failed: ",
        typeof error === "string" ? error : failureText(error),
      ),
      el("div", {}, "No complete file was saved. ", dismiss),
    );
    if (!card.isConnected) this.#panel.append(card);
  }
}
