/**
 * A list that renders only the rows in view, so a folder of any size scrolls and filters at the
 * same speed: rows have one fixed height, sit absolutely in a spacer as tall as the whole list,
 * and are made when they scroll into view and dropped when they leave it.
 *
 * Keyboard: Up and Down, Page Up and Page Down, Home and End move the focus between rows,
 * scrolling the row into view first; each row's first button is the one that takes focus.
 *
 * @module
 */
import { el } from "./dom.ts";

/** Rows made beyond each edge of the view, so that a quick scroll shows no gap. */
const OVERSCAN = 8;

/** A virtualised list of `T`, each item rendered by `render` into a row element. */
export class VirtualList<T> {
  /** The scrolling element to place in the page. */
  readonly element: HTMLDivElement;
  readonly #spacer: HTMLDivElement;
  readonly #rowHeight: number;
  readonly #render: (item: T, index: number) => HTMLElement;
  readonly #rows = new Map<number, HTMLElement>();
  #items: readonly T[] = [];
  #scheduled = false;

  constructor(
    rowHeight: number,
    render: (item: T, index: number) => HTMLElement,
    label: string,
  ) {
    this.#rowHeight = rowHeight;
    this.#render = render;
    this.#spacer = el("div", { attrs: { role: "rowgroup" } });
    this.element = el("div", {
      class: "viewport",
      attrs: { "aria-label": label },
      on: {
        scroll: () => this.#schedule(),
        keydown: (event) => this.#key(event),
      },
    }, this.#spacer);
    new ResizeObserver(() => this.#schedule()).observe(this.element);
  }

  /** Shows `items` from the top. */
  setItems(items: readonly T[]): void {
    this.#items = items;
    for (const row of this.#rows.values()) row.remove();
    this.#rows.clear();
    this.#spacer.style.height = `${items.length * this.#rowHeight}px`;
    this.element.scrollTop = 0;
    this.#draw();
  }

  /** Scrolls item `index` into view and focuses its row's first button. */
  focus(index: number): void {
    if (this.#items.length === 0) return;
    const at = Math.max(0, Math.min(this.#items.length - 1, index));
    const top = at * this.#rowHeight;
    const view = this.element;
    if (top < view.scrollTop) view.scrollTop = top;
    else if (top + this.#rowHeight > view.scrollTop + view.clientHeight) {
      view.scrollTop = top + this.#rowHeight - view.clientHeight;
    }
    this.#draw();
    this.#rows.get(at)?.querySelector<HTMLElement>("button, a")?.focus();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    requestAnimationFrame(() => {
      this.#scheduled = false;
      this.#draw();
    });
  }

  /** Makes the rows in view (plus the overscan) and drops the others. */
  #draw(): void {
    const height = this.element.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.element.scrollTop / this.#rowHeight) - OVERSCAN);
    const last = Math.min(
      this.#items.length - 1,
      Math.ceil((this.element.scrollTop + height) / this.#rowHeight) + OVERSCAN,
    );
    for (const [index, row] of this.#rows) {
      if (index < first || index > last) {
        if (row.contains(document.activeElement)) continue;
        row.remove();
        this.#rows.delete(index);
      }
    }
    for (let index = first; index <= last; index++) {
      if (this.#rows.has(index)) continue;
      const row = this.#render(this.#items[index]!, index);
      row.style.top = `${index * this.#rowHeight}px`;
      row.dataset.index = String(index);
      row.setAttribute("aria-rowindex", String(index + 2));
      this.#rows.set(index, row);
      this.#spacer.append(row);
    }
  }

  #key(event: KeyboardEvent): void {
    const row = (event.target as HTMLElement).closest<HTMLElement>("[data-index]");
    if (row === null) return;
    const index = Number(row.dataset.index);
    const page = Math.max(1, Math.floor(this.element.clientHeight / this.#rowHeight) - 1);
    const moves: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      PageDown: index + page,
      PageUp: index - page,
      Home: 0,
      End: this.#items.length - 1,
    };
    const to = moves[event.key];
    if (to === undefined) return;
    event.preventDefault();
    this.focus(to);
  }
}
