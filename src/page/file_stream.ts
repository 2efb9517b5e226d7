/**
 * One file of a snapshot as a stream of verified bytes, read as the stream is read: the page's
 * previews and the service worker's downloads both read files this way.
 *
 * Invariant: every byte comes from a chunk that opened under the key and matched its id (the
 * `ChunkSource`), and the chunks add up to the file's size (`readTree`); otherwise the stream
 * errors, so a reader never ends with wrong or missing bytes.
 *
 * @module
 */
import { nameOf } from "../browse/entry_text.ts";
import type { ChunkSource } from "../client/chunk_source.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { emptyTotals, readTree } from "../restore/tree_reader.ts";

/**
 * The verified content of `entry` (a file or a hard link) from `source`; `ended` runs once when
 * the stream closes, errors or is cancelled.
 */
export function verifiedFileStream(
  entry: TreeEntry,
  source: ChunkSource,
  ended: () => void,
): ReadableStream<Uint8Array> {
  // Alone, as a file (a hard link is the file it names), with no folder before it.
  const alone = { ...entry, path: nameOf(entry.path), type: "file" as const, target: "" };
  const items = readTree([alone], source, emptyTotals());
  let chunks: AsyncIterator<Uint8Array> | null = null;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    void items.return(undefined);
    ended();
  };
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      try {
        if (chunks === null) {
          const first = await items.next();
          if (first.done === true) throw new Error(`Cannot read "${entry.path}": no such file`);
          chunks = first.value.chunks[Symbol.asyncIterator]();
        }
        const next = await chunks.next();
        if (next.done === true) {
          controller.close();
          finish();
        } else {
          controller.enqueue(next.value);
        }
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    cancel: finish,
  }, { highWaterMark: 0 });
}
