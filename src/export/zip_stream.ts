/**
 * Writes a tree's items as a zip archive into any `WritableStream`: a file for `burrow pull
 * DEST.zip`, a download stream in the web page. Entries are stored (level 0) unless a level is
 * given; modes are kept as Unix external attributes, mtimes in the extended-timestamp field,
 * symlinks as Info-ZIP symlink entries; Zip64 is used for files of 4 GiB and more, and wherever
 * offsets need it. File content streams chunk by chunk: nothing holds a whole file. A zip holds
 * no fifos or devices: they are left out (callers that report them filter them first).
 *
 * @module
 */
import { TextReader, ZipWriter } from "@zip.js/zip.js";
import { nsToMs } from "../format/snapshot_model.ts";
import type { TreeItem } from "../restore/tree_reader.ts";

/** Files from this size on get a Zip64 header (stored size may not fit 32 bits). */
const ZIP64_FROM = 0xffff0000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/**
 * Writes every item into `sink` as one zip archive, then closes the archive (and `sink`).
 * A file whose chunks throw stops the archive with that error (the caller decides what becomes
 * of what was written).
 *
 * @param level deflate level 0 (stored) to 9
 */
export async function writeZip(
  items: AsyncIterable<TreeItem>,
  sink: WritableStream<Uint8Array>,
  level: number,
): Promise<void> {
  const zip = new ZipWriter(sink, { useWebWorkers: false, keepOrder: true });
  for await (const item of items) await addZipEntry(zip, item, level);
  await zip.close();
}

async function addZipEntry(zip: ZipWriter<unknown>, item: TreeItem, level: number): Promise<void> {
  const { entry } = item;
  const common = { lastModDate: new Date(nsToMs(entry.mtimeNs)), level };
  if (entry.type === "dir") {
    await zip.add(`${entry.path}/`, undefined, {
      ...common,
      directory: true,
      unixMode: entry.mode,
    });
  } else if (entry.type === "symlink") {
    await zip.add(entry.path, new TextReader(entry.target), {
      ...common,
      unixMode: S_IFLNK | 0o777,
    });
  } else if (entry.type === "file") {
    // zip.js may wrap a failing reader's error: keep ours (an IntegrityError naming the file).
    let failure: unknown;
    const chunks = async function* () {
      try {
        yield* item.chunks;
      } catch (error) {
        failure = error;
        throw error;
      }
    };
    await zip.add(entry.path, readableOf(chunks()), {
      ...common,
      unixMode: S_IFREG | entry.mode,
      uncompressedSize: entry.size,
      zip64: entry.size >= ZIP64_FROM,
    }).catch((error) => Promise.reject(failure ?? error));
  }
}

/** A stream of what `chunks` yields, read as the stream is read (`ReadableStream.from` is not in every browser). */
function readableOf(chunks: AsyncIterator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done === true) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return?.();
    },
  }, { highWaterMark: 0 });
}
