/**
 * The snapshot list: one table per set, sets ordered by their newest snapshot, snapshots newest
 * first, with id, time, host, files and size; plus what could not be read, named.
 *
 * @module
 */
import { formatBytes, formatCount, formatTime } from "../display.ts";
import type { SnapshotListing } from "../client/remote_repository.ts";
import type { SnapshotRecord } from "../format/snapshot_model.ts";
import { el } from "./dom.ts";

/** The snapshot list; `open` is called with the snapshot a person chose. */
export function snapshotsView(
  listing: SnapshotListing,
  open: (record: SnapshotRecord) => void,
): HTMLElement {
  const section = el("section", { attrs: { "aria-labelledby": "snapshots-title" } });
  section.append(el("h1", { attrs: { id: "snapshots-title" } }, "Snapshots"));
  if (listing.damagedChunks > 0) {
    section.append(el(
      "p",
      { class: "alert", attrs: { role: "status" } },
      `${listing.damagedChunks} chunks of your repository are missing or damaged; ` +
        "run burrow check.",
    ));
  }
  for (const { id, reason } of listing.unreadable) {
    section.append(el("p", { class: "alert" }, `Snapshot ${id} cannot be read: ${reason}`));
  }
  if (listing.records.length === 0) {
    section.append(el(
      "p",
      { class: "empty" },
      "No snapshots yet. Back up a folder with burrow push PATH, then reload this page.",
    ));
    return section;
  }
  for (const records of bySet(listing.records)) {
    const newest = records[0]!;
    section.append(
      el("h2", {}, newest.set),
      el("p", { class: "set-source" }, `${newest.host}:${newest.source}`),
      setTable(records, open),
    );
  }
  return section;
}

/** Records grouped by set, newest first in each; sets ordered by their newest record. */
function bySet(records: readonly SnapshotRecord[]): SnapshotRecord[][] {
  const sets = new Map<string, SnapshotRecord[]>();
  for (const record of [...records].reverse()) {
    const group = sets.get(record.set) ?? [];
    group.push(record);
    sets.set(record.set, group);
  }
  return [...sets.values()].sort((a, b) => (a[0]!.time < b[0]!.time ? 1 : -1));
}

function setTable(
  records: readonly SnapshotRecord[],
  open: (record: SnapshotRecord) => void,
): HTMLTableElement {
  const head = el(
    "tr",
    {},
    el("th", { attrs: { scope: "col" } }, "Snapshot"),
    el("th", { attrs: { scope: "col" } }, "Time"),
    el("th", { class: "col-host", attrs: { scope: "col" } }, "Host"),
    el("th", { class: "num col-files", attrs: { scope: "col" } }, "Files"),
    el("th", { class: "num", attrs: { scope: "col" } }, "Size"),
  );
  const rows = records.map((record) =>
    el(
      "tr",
      {},
      el(
        "td",
        {},
        el("button", {
          class: "link mono",
          attrs: { type: "button", "aria-label": `Open snapshot ${record.id} of ${record.set}` },
          on: { click: () => open(record) },
        }, record.id),
      ),
      el("td", {}, formatTime(record.time)),
      el("td", { class: "col-host" }, record.host),
      el("td", { class: "num col-files" }, formatCount(record.summary.files)),
      el("td", { class: "num" }, formatBytes(record.summary.bytes)),
    )
  );
  return el("table", { class: "snapshots" }, el("thead", {}, head), el("tbody", {}, ...rows));
}
