/**
 * One folder of a snapshot: breadcrumbs, a filter box, a sort order, a zip download of the
 * folder, and its entries (folders first) in a virtualised list with size, modification time,
 * mode and, for a symlink or hard link, its target. Files and hard links download; fifos, sockets
 * and devices are listed only. Every name is shown as text.
 *
 * @module
 */
import { formatBytes, formatTime } from "../display.ts";
import type { SnapshotRecord, TreeEntry } from "../format/snapshot_model.ts";
import { el } from "./dom.ts";
import {
  isFileLike,
  kindName,
  modeText,
  mtimeText,
  nameOf,
  sizeText,
} from "../browse/entry_text.ts";
import type { Arrangement, FolderIndex, SortKey } from "./folder_index.ts";
import { previewKind } from "./preview.ts";
import { VirtualList } from "./virtual_list.ts";

/** Height of a listing row in pixels (the stylesheet's `--row`). */
const ROW_HEIGHT = 40;

/** What the tree view asks the app to do. */
export interface TreeActions {
  /** Show the snapshot list. */
  snapshots(): void;
  /** Show another folder of this snapshot ("" for its root). */
  folder(path: string): void;
  /** Download one file. */
  download(entry: TreeEntry): void;
  /** Download `folder` ("" for the whole snapshot) as a zip. */
  downloadZip(folder: string): void;
  /** Preview a small text or image file. */
  preview(entry: TreeEntry): void;
}

const ORDERS: { value: string; label: string; sort: SortKey; descending: boolean }[] = [
  { value: "name", label: "Name, A to Z", sort: "name", descending: false },
  { value: "name-desc", label: "Name, Z to A", sort: "name", descending: true },
  { value: "size-desc", label: "Size, largest first", sort: "size", descending: true },
  { value: "size", label: "Size, smallest first", sort: "size", descending: false },
  { value: "time-desc", label: "Modified, newest first", sort: "time", descending: true },
  { value: "time", label: "Modified, oldest first", sort: "time", descending: false },
];

/** The folder view of `folder` ("" for the root) in `record`'s tree. */
export function treeView(
  record: SnapshotRecord,
  tree: FolderIndex,
  folder: string,
  actions: TreeActions,
): HTMLElement {
  const arrangement: Arrangement = { sort: "name", descending: false, filter: "" };
  const list = new VirtualList<TreeEntry>(
    ROW_HEIGHT,
    (entry) => entryRow(entry, actions),
    `Contents of ${folder === "" ? record.set : nameOf(folder)}`,
  );
  const count = el("p", { class: "hint", attrs: { role: "status", id: "listing-count" } });
  const show = () => {
    const entries = tree.listing(folder, arrangement);
    list.setItems(entries);
    count.textContent = countText(entries, tree.children(folder).length);
  };
  const filter = el("input", {
    attrs: { id: "filter", type: "search", placeholder: "Part of a name", autocomplete: "off" },
    on: {
      input: () => {
        arrangement.filter = filter.value;
        show();
      },
      keydown: (event) => {
        if (event.key === "ArrowDown") {
          event.preventDefault();
          list.focus(0);
        }
      },
    },
  });
  const order = el(
    "select",
    {
      attrs: { id: "order" },
      on: {
        change: () => {
          const chosen = ORDERS.find((o) => o.value === order.value) ?? ORDERS[0]!;
          arrangement.sort = chosen.sort;
          arrangement.descending = chosen.descending;
          show();
        },
      },
    },
    ...ORDERS.map((o) => el("option", { attrs: { value: o.value } }, o.label)),
  );
  const zipLabel = folder === "" ? "Download snapshot as .zip" : "Download folder as .zip";
  const section = el(
    "section",
    { attrs: { "aria-labelledby": "folder-title" } },
    crumbs(record, folder, actions),
    el("h1", { attrs: { id: "folder-title" } }, folder === "" ? record.set : nameOf(folder)),
    el(
      "p",
      { class: "hint" },
      `Snapshot ${record.id} · ${formatTime(record.time)} · ${record.host} · ` +
        `${formatBytes(record.summary.bytes)} in ${record.summary.files} files`,
    ),
    el(
      "div",
      { class: "toolbar" },
      el("label", { class: "grow", attrs: { for: "filter" } }, "Filter names", filter),
      el("label", { attrs: { for: "order" } }, "Sort by", order),
      el("button", {
        attrs: { type: "button", id: "zip" },
        on: { click: () => actions.downloadZip(folder) },
      }, zipLabel),
    ),
    count,
    el(
      "div",
      { class: "listing", attrs: { role: "table", "aria-label": "Folder contents" } },
      el(
        "div",
        { class: "listing-head", attrs: { role: "row", "aria-rowindex": 1 } },
        el("span", { attrs: { role: "columnheader" } }, "Name"),
        el("span", { class: "num", attrs: { role: "columnheader" } }, "Size"),
        el("span", { class: "col-time", attrs: { role: "columnheader" } }, "Modified"),
        el("span", { class: "col-mode", attrs: { role: "columnheader" } }, "Mode"),
        el(
          "span",
          { attrs: { role: "columnheader" } },
          el("span", { class: "sr-only" }, "Actions"),
        ),
      ),
      list.element,
    ),
  );
  show();
  return section;
}

function countText(shown: readonly TreeEntry[], all: number): string {
  if (all === 0) return "This folder is empty.";
  const folders = shown.filter((e) => e.type === "dir").length;
  const others = shown.length - folders;
  const what = `${folders} ${folders === 1 ? "folder" : "folders"}, ${others} ${
    others === 1 ? "file" : "files"
  }`;
  return shown.length === all ? what : `${what} match (of ${all})`;
}

function crumbs(record: SnapshotRecord, folder: string, actions: TreeActions): HTMLElement {
  const items: HTMLElement[] = [
    el("li", {}, crumb("Snapshots", () => actions.snapshots())),
    el("li", {}, crumb(`${record.set} · ${formatTime(record.time)}`, () => actions.folder(""))),
  ];
  const parts = folder === "" ? [] : folder.split("/");
  parts.forEach((part, i) => {
    items.push(el("li", {}, crumb(part, () => actions.folder(parts.slice(0, i + 1).join("/")))));
  });
  const last = items.at(-1)!.firstElementChild!;
  last.setAttribute("aria-current", "page");
  return el(
    "nav",
    { class: "crumbs", attrs: { "aria-label": "Breadcrumbs" } },
    el("ol", {}, ...items),
  );
}

function crumb(text: string, go: () => void): HTMLButtonElement {
  return el("button", { class: "link", attrs: { type: "button" }, on: { click: go } }, text);
}

function entryRow(entry: TreeEntry, actions: TreeActions): HTMLElement {
  const name = nameOf(entry.path);
  let label: HTMLElement;
  const buttons: HTMLElement[] = [];
  if (entry.type === "dir") {
    label = el("button", {
      class: "link",
      attrs: { type: "button", title: name },
      on: { click: () => actions.folder(entry.path) },
    }, name);
    buttons.push(el("button", {
      attrs: { type: "button", "aria-label": `Download ${name} as .zip` },
      on: { click: () => actions.downloadZip(entry.path) },
    }, ".zip"));
  } else if (isFileLike(entry.type)) {
    label = el("button", {
      class: "link",
      attrs: { type: "button", title: name, "aria-label": `Download ${name}` },
      on: { click: () => actions.download(entry) },
    }, name);
    if (previewKind(entry) !== null) {
      buttons.push(el("button", {
        attrs: { type: "button", "aria-label": `Preview ${name}` },
        on: { click: () => actions.preview(entry) },
      }, "Preview"));
    }
    buttons.push(el("button", {
      attrs: { type: "button", "aria-label": `Download ${name}`, tabindex: -1 },
      on: { click: () => actions.download(entry) },
    }, "Download"));
  } else {
    label = el("span", { class: "label", attrs: { tabindex: 0, title: name } }, name);
  }
  const kind = kindName(entry.type);
  const target = entry.type === "symlink"
    ? `→ ${entry.target}`
    : entry.type === "hardlink"
    ? `= ${entry.target}`
    : "";
  return el(
    "div",
    { class: "row", attrs: { role: "row", "data-type": entry.type } },
    el(
      "span",
      { class: "name", attrs: { role: "cell" } },
      el("span", { class: `kind kind-${entry.type}`, attrs: { "aria-label": kind, role: "img" } }),
      label,
      target === "" ? null : el("span", { class: "target", attrs: { title: kind } }, target),
    ),
    el("span", { class: "num", attrs: { role: "cell" } }, sizeText(entry)),
    el("span", { class: "col-time mono", attrs: { role: "cell" } }, mtimeText(entry.mtimeNs)),
    el("span", { class: "col-mode mono", attrs: { role: "cell" } }, modeText(entry)),
    el("span", { class: "actions", attrs: { role: "cell" } }, ...buttons),
  );
}
