/**
 * Downloads in progress, shown in a corner of the page: each has a card with its progress,
 * replaced by "saved" once complete or by a visible error (role "alert") naming the file when
 * a chunk did not verify or the connection failed; an error stays until dismissed.
 *
 * @module
 */
import { formatBytes } from "../display.ts";
import { el, replaceChildren } from "./dom.ts";
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
   * `stream`, reported on a new card as it is read: progress, then saved or failed.
   *
   * @param size bytes expected, when known
   */
  watch(
    name: string,
    size: number | null,
    stream: ReadableStream<Uint8Array>,
  ): ReadableStream<Uint8Array> {
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
    let done = 0;
    let ended = false;
    const end = () => {
      if (!ended) this.#active--;
      ended = true;
    };
    const reader = stream.getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const next = await reader.read();
          if (next.done) {
            end();
            controller.close();
            card.className = "transfer";
            card.setAttribute("role", "status");
            replaceChildren(card, "Saved ", el("strong", {}, name), ` (${formatBytes(done)})`);
            setTimeout(() => card.remove(), DONE_CARD_MS);
            return;
          }
          done += next.value.length;
          if (size !== null) bar.value = done;
          text.textContent = size === null
            ? formatBytes(done)
            : `${formatBytes(done)} of ${formatBytes(size)}`;
          controller.enqueue(next.value);
        } catch (error) {
          end();
          controller.error(error);
          this.fail(name, error, card);
        }
      },
      cancel: (reason) => {
        end();
        card.remove();
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
  }

  /** Shows that the download of `name` failed, and why (on `card`, or a new one). */
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
      el("div", {}, "Download of ", el("strong", {}, name), " failed: ", failureText(error)),
      el("div", {}, "No complete file was saved. ", dismiss),
    );
    if (!card.isConnected) this.#panel.append(card);
  }
}
