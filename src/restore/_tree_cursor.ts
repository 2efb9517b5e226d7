/**
 * The tree reader's cursor over a tree's entries: each entry is checked by `EntryGuard` as it is
 * read, and a hard link becomes a link or a file with its content (see `tree_reader.ts`).
 *
 * @module
 */
import type { TreeEntry } from "../format/snapshot_model.ts";
import { EntryGuard } from "./_entry_guard.ts";
import { Fifo } from "../fifo.ts";
import type { ChunkWant } from "../client/chunk_source.ts";

/**
 * Reads the tree's entries once for two readers: the chunk source, which pulls the chunks it
 * wants ahead of the consumer (`wants`), and the consumer, which takes whole entries
 * (`nextEntry`). Each entry is checked by `EntryGuard` as it is read; the first entry that fails
 * stops both readers at that point, and its error is thrown to whichever gets there.
 */
export class TreeCursor {
  readonly #entries: Iterator<TreeEntry>;
  readonly #guard = new EntryGuard();
  readonly #linking: boolean;
  /** Hard link targets not handed out, and the path their content was handed out at instead. */
  readonly #movedTargets = new Map<string, string>();
  /** Entries read and not yet taken by the consumer. */
  readonly #unread = new Fifo<TreeEntry>();
  /** Chunks of the entries read, not yet pulled by the source. */
  readonly #unwanted = new Fifo<ChunkWant>();
  #done = false;
  #failure: unknown = undefined;

  /** @param linking hand out hard links as links where their target was handed out before */
  constructor(entries: Iterable<TreeEntry>, linking: boolean) {
    this.#entries = entries[Symbol.iterator]();
    this.#linking = linking;
  }

  /** Every chunk of every file, in tree order. */
  *wants(): Generator<ChunkWant> {
    for (;;) {
      while (this.#unwanted.size === 0) if (!this.#read()) return;
      yield this.#unwanted.shift();
    }
  }

  /** The next entry, or undefined after the last. @throws {IntegrityError} for an unsafe entry */
  nextEntry(): TreeEntry | undefined {
    if (this.#unread.size === 0 && !this.#read()) return undefined;
    return this.#unread.shift();
  }

  #read(): boolean {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#done) return false;
    try {
      const next = this.#entries.next();
      if (next.done) {
        this.#done = true;
        return false;
      }
      const entry = next.value.type === "hardlink" ? this.#link(next.value) : next.value;
      this.#guard.check(entry);
      this.#unread.push(entry);
      const plainSize = entry.size / entry.chunks.length;
      for (const id of entry.chunks) this.#unwanted.push({ id, plainSize });
      return true;
    } catch (error) {
      this.#failure = error;
      throw error;
    }
  }

  /**
   * A hard link as it is handed out: a link (no content) to a file handed out before, or a file
   * with its content (see the module comment).
   */
  #link(entry: TreeEntry): TreeEntry {
    this.#guard.validate(entry); // its target too, before it is looked at or dropped
    if (!this.#linking) return { ...entry, type: "file", target: "" };
    const target = this.#movedTargets.get(entry.target) ?? entry.target;
    if (this.#guard.typeOf(target) === "file") return { ...entry, target, size: 0, chunks: [] };
    this.#movedTargets.set(entry.target, entry.path);
    return { ...entry, type: "file", target: "" };
  }
}
