/**
 * Previews of small text and image files in a dialog. Text is shown as text (never as markup);
 * an image is shown from a `blob:` URL through an `<img>`, which runs no script (SVG included),
 * and the URL is revoked when the dialog closes.
 *
 * @module
 */
import { concatBytes } from "../concat_bytes.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { el } from "./dom.ts";
import { isFileLike, nameOf } from "../browse/entry_text.ts";

/** The largest file the page previews. */
export const PREVIEW_MAX_BYTES = 4 * 1024 * 1024;

const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  bmp: "image/bmp",
  ico: "image/x-icon",
  svg: "image/svg+xml",
};

const TEXT_EXTENSIONS = new Set(
  ("txt md markdown log csv tsv json jsonl xml yml yaml toml ini conf cfg env sh bash zsh fish " +
    "py rb pl php js mjs cjs ts tsx jsx c h cc cpp hpp cs go rs java kt swift scala sql html " +
    "htm css scss less vue svelte tex rst org diff patch gitignore dockerfile makefile")
    .split(" "),
);

/** How a file can be previewed, if at all. */
export function previewKind(entry: TreeEntry): "text" | "image" | null {
  if (!isFileLike(entry.type) || entry.size > PREVIEW_MAX_BYTES) return null;
  const name = nameOf(entry.path).toLowerCase();
  const dot = name.lastIndexOf(".");
  const extension = dot < 0 ? name : name.slice(dot + 1);
  if (extension in IMAGE_TYPES) return "image";
  if (TEXT_EXTENSIONS.has(extension)) return "text";
  return null;
}

/** Opens a dialog showing `bytes` of `entry` (see `previewKind`), closed with Escape or Close. */
export function showPreview(entry: TreeEntry, bytes: Uint8Array<ArrayBuffer>): void {
  const name = nameOf(entry.path);
  const kind = previewKind(entry);
  let url: string | null = null;
  let body: HTMLElement;
  if (kind === "image") {
    const type = IMAGE_TYPES[name.slice(name.lastIndexOf(".") + 1).toLowerCase()]!;
    url = URL.createObjectURL(new Blob([bytes], { type }));
    body = el("img", { attrs: { src: url, alt: `Preview of ${name}` } });
  } else {
    body = el("pre", { class: "mono" }, new TextDecoder().decode(bytes));
  }
  const close = el("button", { attrs: { type: "button" } }, "Close");
  const dialog = el(
    "dialog",
    { class: "preview", attrs: { "aria-label": `Preview of ${name}` } },
    el("header", {}, el("h2", {}, name), close),
    body,
  );
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (url !== null) URL.revokeObjectURL(url);
    dialog.remove();
  });
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
}

/** Reads a whole (small) stream into one buffer. */
export async function readAll(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array<ArrayBuffer>> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return concatBytes(parts);
}
