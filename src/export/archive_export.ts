/**
 * Exports a snapshot's tree as one archive file (`burrow pull DEST.zip` / `DEST.tar`) instead of
 * a folder.
 *
 * Invariants: entries pass the same checks as a folder restore (no absolute path, no `..`, no
 * path through a symlink: an archive must not carry a "zip slip" to whoever extracts it); file
 * content streams chunk by chunk, verified, never a whole file in memory; the archive is written
 * to `DEST.partial-RANDOM` and renamed to DEST only when complete, so a failed export never
 * leaves a complete-looking archive; an archive is never short of a file either: a file whose
 * data is missing or damaged stops the export, and no archive is written (a pull into a folder
 * restores every file that verifies); an existing DEST is replaced only with `overwrite:
 * "always"`.
 *
 * Zip: entries are stored (level 0) by default — deflate in zip.js is several times slower than
 * storing (docs/PERFORMANCE.md), the archive is a transport format the user can compress again,
 * and much backed-up data (media, archives) does not shrink; `level` overrides it. Modes are kept as
 * Unix external attributes, mtimes in the extended-timestamp field (1 s precision), symlinks
 * as Info-ZIP symlink entries (mode `S_IFLNK`, content = target), which `unzip` restores as links.
 * Zip64 is used for files of 4 GiB and more, and by zip.js wherever offsets need it. A zip has no
 * hard links, owners or special files: each hard link is a copy of its file, and fifos and
 * devices are left out with a warning each (`specialsSkipped`).
 *
 * Tar: ustar with pax headers where needed (names over 100 bytes, non-ASCII names, mtimes
 * outside 1970–2038); modes, mtimes (1 s), folders, symlinks, hard links (to the file first
 * written), fifos and devices (with their numbers) kept; owners as recorded (uid, gid and their
 * names; numbers only with `numericIds`, uid/gid 0 where none was recorded). Neither format holds
 * a socket: sockets are counted, never written.
 *
 * @module
 */
import { BurrowError, IntegrityError } from "../errors.ts";
import { nsToMs } from "../format/snapshot_model.ts";
// @ts-types="@types/tar-stream"
import type tar from "tar-stream";
import type { EntryType, TreeEntry } from "../format/snapshot_model.ts";
import { writeAllSync } from "../restore/write_all.ts";
import { writeThroughPartial } from "./_partial_file.ts";
import {
  DamagedFileError,
  emptyTotals,
  quotePath,
  readTree,
  type TreeItem,
  type TreeProgress,
  type TreeTotals,
} from "../restore/tree_reader.ts";
import type { OverwriteMode } from "../restore/restorer.ts";
import type { ChunkSource } from "../client/chunk_source.ts";

/** Options of the exporters: progress callbacks, what to do with an existing DEST, zip level. */
export interface ExportOptions extends TreeProgress {
  /** Zip only: deflate level 0 (stored, default) to 9. */
  level?: number;
  /** An existing archive at DEST is replaced only with "always"; anything else refuses. */
  overwrite?: OverwriteMode | undefined;
  /** Tar only: record owners by number, without their names. */
  numericIds?: boolean | undefined;
}

/** What an export wrote: counts of files, folders, symlinks and bytes of file content. */
export type ExportResult = TreeTotals;

type Entries = Iterable<TreeEntry>;

/**
 * What writing an archive at `dest` does: "create" it, or "overwrite" what is there (only with
 * `overwrite` "always").
 *
 * @throws {BurrowError} CONFLICT when `dest` exists and `overwrite` is not "always", or is a folder
 */
export function archiveDestAction(
  dest: string,
  overwrite: OverwriteMode | undefined,
): "create" | "overwrite" {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(dest);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "create";
    throw error;
  }
  const problem = info.isDirectory
    ? "it is a folder; give another name"
    : overwrite === "always"
    ? undefined
    : "it exists; add --overwrite always to replace it, or give another name";
  if (problem === undefined) return "overwrite";
  throw new BurrowError("CONFLICT", `Cannot write ${quotePath(dest)}: ${problem}`);
}

/** An export that met a damaged file says that no archive was written, and what to do. */
function archiveFailure(dest: string, error: unknown): unknown {
  if (!(error instanceof DamagedFileError)) return error;
  return new IntegrityError(
    `Cannot write ${quotePath(dest)}: ${quotePath(error.path)}: ${error.problem}; ` +
      "no archive was written (a pull into a folder restores every file that verifies; " +
      "run burrow check)",
    { cause: error },
  );
}

/** A WritableStream that writes to `file` with sync calls. */
function fileSink(file: Deno.FsFile): WritableStream<Uint8Array> {
  return new WritableStream({ write: (piece) => writeAllSync(file, piece) });
}

/**
 * Writes the tree as a zip archive at `destFile` (replacing it only on success).
 *
 * @throws {BurrowError} CONFLICT when `destFile` exists (see `archiveDestAction`)
 * @throws {IntegrityError} for an unsafe entry, or a file whose data is missing or damaged
 */
export async function exportZip(
  entries: Entries,
  source: ChunkSource,
  destFile: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  archiveDestAction(destFile, options.overwrite);
  const totals = emptyTotals();
  const level = options.level ?? 0;
  await writeThroughPartial(destFile, async (file) => {
    const items = withoutSpecials(readTree(entries, source, totals, options), totals, options);
    // The zip and tar writers load when an archive is written, not with every command.
    const { writeZip } = await import("./zip_stream.ts");
    await writeZip(items, fileSink(file), level);
  }).catch((error) => Promise.reject(archiveFailure(destFile, error)));
  return { ...totals };
}

/** The items but fifos and devices, which a zip cannot hold: each is warned of and counted. */
async function* withoutSpecials(
  items: AsyncIterable<TreeItem>,
  totals: TreeTotals,
  options: ExportOptions,
): AsyncGenerator<TreeItem> {
  for await (const item of items) {
    const type = item.entry.type;
    if (type === "file" || type === "dir" || type === "symlink") yield item;
    else {
      totals.specialsSkipped++;
      options.onWarning?.(item.entry.path, `not written: a zip cannot hold a ${type}`);
    }
  }
}

/** A tar header with the pax extension tar-stream understands (absent from its types). */
type TarHeader = tar.Headers & { pax?: Record<string, string> };

/** The tar type of each entry type a tar holds (a socket it cannot: tar has no type for one). */
const TAR_TYPES: Partial<Record<EntryType, tar.Headers["type"]>> = {
  file: "file",
  dir: "directory",
  symlink: "symlink",
  hardlink: "link",
  fifo: "fifo",
  chardev: "character-device",
  blockdev: "block-device",
};

/** The special files a tar holds. */
const TAR_SPECIALS: ReadonlySet<EntryType> = new Set(["fifo", "chardev", "blockdev"]);

function tarHeader(entry: TreeEntry, numericIds: boolean): TarHeader {
  const seconds = Math.floor(nsToMs(entry.mtimeNs) / 1000);
  // tar-stream writes the ustar mtime as a signed 32-bit number: pax carries the others, over
  // a ustar field of 0 (a negative one would not parse).
  const inRange = seconds >= 0 && seconds < 2 ** 31;
  const header: TarHeader = {
    name: entry.type === "dir" ? `${entry.path}/` : entry.path,
    type: TAR_TYPES[entry.type],
    mode: entry.mode,
    mtime: new Date(inRange ? seconds * 1000 : 0),
    size: entry.type === "file" ? entry.size : 0,
    uid: entry.owner?.uid ?? 0,
    gid: entry.owner?.gid ?? 0,
  };
  if (entry.owner?.user && !numericIds) header.uname = entry.owner.user;
  if (entry.owner?.group && !numericIds) header.gname = entry.owner.group;
  if (entry.type === "symlink" || entry.type === "hardlink") header.linkname = entry.target;
  if (entry.device !== undefined) {
    header.devmajor = entry.device.major;
    header.devminor = entry.device.minor;
  }
  if (!inRange) header.pax = { mtime: String(seconds) };
  return header;
}

type TarSink = ReturnType<tar.Pack["entry"]>;

/** Resolves when `sink` can take more data, or has closed (its callback then reports why). */
function drained(sink: TarSink): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sink.off("drain", done);
      sink.off("close", done);
      resolve();
    };
    sink.on("drain", done);
    sink.on("close", done);
  });
}

async function addTarEntry(
  pack: tar.Pack,
  { entry, chunks }: TreeItem,
  numericIds: boolean,
): Promise<void> {
  let sink: TarSink | undefined;
  const written = new Promise<void>((resolve, reject) => {
    sink = pack.entry(tarHeader(entry, numericIds), (error) => (error ? reject(error) : resolve()));
  });
  if (sink === undefined) throw new Error("Cannot add a tar entry: tar-stream returned no sink");
  sink.on("error", () => {}); // reported through the entry callback
  written.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
  if (entry.type === "file") {
    for await (const chunk of chunks) {
      // A destroyed pack never drains: its entry callback rejects instead.
      if (!sink.write(chunk)) await Promise.race([drained(sink), written]);
    }
  }
  sink.end();
  await written;
}

/** Copies the pack's output to `file` until it ends. */
async function copyPack(pack: tar.Pack, file: Deno.FsFile): Promise<void> {
  for await (const piece of pack) writeAllSync(file, piece);
}

/**
 * Writes the tree as a tar archive at `destFile` (replacing it only on success).
 *
 * @throws {BurrowError} CONFLICT when `destFile` exists (see `archiveDestAction`)
 * @throws {IntegrityError} for an unsafe entry, or a file whose data is missing or damaged
 */
export async function exportTar(
  entries: Entries,
  source: ChunkSource,
  destFile: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  archiveDestAction(destFile, options.overwrite);
  const totals = emptyTotals();
  await writeThroughPartial(destFile, async (file) => {
    const tarStream = (await import("tar-stream")).default;
    const pack = tarStream.pack();
    pack.on("error", () => {}); // reported through copyPack and the entry callbacks
    const copied = copyPack(pack, file);
    copied.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    try {
      const read = { ...options, hardLinks: true };
      for await (const item of readTree(entries, source, totals, read)) {
        await addTarEntry(pack, item, options.numericIds ?? false);
        if (TAR_SPECIALS.has(item.entry.type)) totals.specials++;
      }
      pack.finalize();
    } catch (error) {
      pack.destroy(error instanceof Error ? error : new Error(String(error)));
      await copied.catch(() => {});
      throw error;
    }
    await copied;
  }).catch((error) => Promise.reject(archiveFailure(destFile, error)));
  return { ...totals };
}
