/**
 * A snapshot's tree as the page browses it: the entries of each folder, a folder's whole
 * subtree in manifest order (for a zip), and a folder's listing sorted and filtered.
 *
 * Invariants: built once per snapshot in one pass over the manifest (which lists a folder
 * before anything inside it); a listing shows folders first, then the rest, each group in the
 * chosen order; names compare as people read them (numbers by value, case ignored).
 *
 * @module
 */
import type { TreeEntry } from "../format/snapshot_model.ts";
import { nameOf } from "../browse/entry_text.ts";

/** What a listing is ordered by. */
export type SortKey = "name" | "size" | "time";

/** How a folder's listing is arranged. */
export interface Arrangement {
  sort: SortKey;
  descending: boolean;
  /** Only entries whose name contains this, case ignored ("" keeps all). */
  filter: string;
}

let collator: Intl.Collator | undefined;

/** The name order, made when a folder is first sorted (making it costs the page's start-up). */
function names(): Intl.Collator {
  collator ??= new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  return collator;
}

/** The folders of one snapshot's tree (the root is ""). */
export class FolderIndex {
  readonly #entries: readonly TreeEntry[];
  readonly #children = new Map<string, TreeEntry[]>([["", []]]);
  readonly #byPath = new Map<string, TreeEntry>();

  constructor(entries: readonly TreeEntry[]) {
    this.#entries = entries;
    for (const entry of entries) {
      this.#byPath.set(entry.path, entry);
      const cut = entry.path.lastIndexOf("/");
      const parent = cut < 0 ? "" : entry.path.slice(0, cut);
      let siblings = this.#children.get(parent);
      if (siblings === undefined) {
        siblings = [];
        this.#children.set(parent, siblings);
      }
      siblings.push(entry);
      if (entry.type === "dir" && !this.#children.has(entry.path)) {
        this.#children.set(entry.path, []);
      }
    }
  }

  /** Whether `folder` is the root ("") or a folder of the tree. */
  isFolder(folder: string): boolean {
    return folder === "" || this.#byPath.get(folder)?.type === "dir";
  }

  /** The entries directly in `folder`, in manifest order (none for an unknown folder). */
  children(folder: string): readonly TreeEntry[] {
    return this.#children.get(folder) ?? [];
  }

  /**
   * `folder`'s entry and everything under it, in manifest order, with paths made relative to
   * the folder's parent (so a zip of it holds one folder named as it is); for the root, the
   * whole tree as it is.
   */
  subtree(folder: string): TreeEntry[] {
    if (folder === "") return [...this.#entries];
    const own = this.#byPath.get(folder);
    if (own === undefined || own.type !== "dir") return [];
    const cut = folder.length - nameOf(folder).length;
    const prefix = `${folder}/`;
    const out: TreeEntry[] = [{ ...own, path: own.path.slice(cut) }];
    for (const entry of this.#entries) {
      if (entry.path.startsWith(prefix)) out.push({ ...entry, path: entry.path.slice(cut) });
    }
    return out;
  }

  /** The entries of `folder`, filtered and sorted (folders first). */
  listing(folder: string, arrangement: Arrangement): TreeEntry[] {
    const needle = arrangement.filter.trim().toLocaleLowerCase();
    const kept = needle === ""
      ? [...this.children(folder)]
      : this.children(folder).filter((e) => nameOf(e.path).toLocaleLowerCase().includes(needle));
    const sign = arrangement.descending ? -1 : 1;
    const collation = names();
    const byName = (a: TreeEntry, b: TreeEntry) =>
      collation.compare(nameOf(a.path), nameOf(b.path));
    const order = arrangement.sort === "size"
      ? (a: TreeEntry, b: TreeEntry) => a.size - b.size || byName(a, b)
      : arrangement.sort === "time"
      ? (a: TreeEntry, b: TreeEntry) =>
        a.mtimeNs < b.mtimeNs ? -1 : a.mtimeNs > b.mtimeNs ? 1 : byName(a, b)
      : byName;
    return kept.sort((a, b) => {
      const folders = Number(b.type === "dir") - Number(a.type === "dir");
      return folders !== 0 ? folders : sign * order(a, b);
    });
  }
}
