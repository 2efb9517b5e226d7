/**
 * Scrubbing one user's repository on the server's disk, without any key (`burrow scrub`): every
 * index file verifies and names a pack that is there; every pack's bytes match the SHA-256 its
 * index kept at sealing, every record in it is whole (length within the file, CRC-32 in version
 * 2 packs) and the index lists exactly those records; every snapshot record's size is plausible.
 * What it finds names the pack, the index or the snapshot file, and the blobs affected.
 *
 * Invariant: it only reads, and changes nothing (damage is for the operator and for the next
 * serve to deal with); the caller holds the data folder's lock, so no server writes meanwhile.
 *
 * @module
 */
import { errorMessage, IntegrityError } from "../errors.ts";
import { BLOB_OVERHEAD_BYTES } from "../format/blob_crypto.ts";
import { CHUNK_ID_BYTES, toHex } from "../format/chunk_id.ts";
import { checkPack, type DamagedBlob } from "./_pack_check.ts";
import { type DecodedIndex, decodeIndex } from "./_pack_format.ts";
import { indexDir, PACK_NAME, PackPaths, packsDir } from "./_pack_layout.ts";

/** One thing found wrong: where it is, what is wrong, and the blobs it affects. */
export interface ScrubDamage {
  /** The pack (hex id) it concerns, if any. */
  pack?: string;
  /** The snapshot (id) whose record file it concerns, if any. */
  snapshot?: string;
  /** What is wrong, one line per problem. */
  problems: string[];
  /** Blobs whose record is damaged or lost. */
  blobs: DamagedBlob[];
}

/** What scrubbing one repository found. */
export interface ScrubReport {
  /** Packs checked (those with a readable index). */
  packs: number;
  /** Of them, packs whose bytes were compared with a SHA-256 kept at sealing. */
  packsHashChecked: number;
  /** Blobs the checked indexes list. */
  blobs: number;
  /** Bytes of the packs read. */
  bytes: number;
  /** Snapshot record files checked. */
  snapshots: number;
  /** Packs without an index: the server rebuilds it from the pack when it next opens it. */
  packsWithoutIndex: string[];
  damage: ScrubDamage[];
}

/** Scrubs the repository in folder `dir` (DATA/repos/NAME). */
export async function scrubRepository(
  dir: string,
  options: { maxSnapshotRecordBytes: number },
): Promise<ScrubReport> {
  const root = `${dir}/chunks`;
  const report: ScrubReport = {
    packs: 0,
    packsHashChecked: 0,
    blobs: 0,
    bytes: 0,
    snapshots: 0,
    packsWithoutIndex: [],
    damage: [],
  };
  const packs = await packNames(root);
  const buffer = new ReadBuffer();
  for (const name of await indexNames(root)) {
    const paths = new PackPaths(root, name);
    const index = await readIndex(paths);
    if (!("packId" in index)) {
      const rebuilt = packs.delete(name)
        ? "; the server rebuilds it from the pack when it next opens the repository"
        : "; its pack is missing too";
      report.damage.push({ pack: name, problems: [index.problem + rebuilt], blobs: [] });
      continue;
    }
    if (!packs.delete(name)) {
      const blobs = listBlobs(index, "its pack is missing");
      report.damage.push({ pack: name, problems: [`its pack is missing: ${paths.pack}`], blobs });
      continue;
    }
    const bytes = await buffer.read(paths.pack);
    const check = checkPack(bytes, index);
    report.packs++;
    report.bytes += bytes.length;
    report.blobs += check.blobs;
    if (check.hashChecked) report.packsHashChecked++;
    if (check.problems.length > 0 || check.damaged.length > 0) {
      report.damage.push({ pack: name, problems: check.problems, blobs: check.damaged });
    }
  }
  report.packsWithoutIndex = [...packs].sort();
  await checkSnapshots(dir, options.maxSnapshotRecordBytes, report);
  return report;
}

/**
 * One buffer that every pack is read into in turn, grown as needed: a new buffer per pack costs
 * more in page faults than reading and hashing the pack.
 */
class ReadBuffer {
  #bytes = new Uint8Array(0);

  /** The whole file at `path`, as a view of the buffer valid until the next read. */
  async read(path: string): Promise<Uint8Array> {
    using file = await Deno.open(path, { read: true });
    const size = (await file.stat()).size;
    if (this.#bytes.length < size) this.#bytes = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const count = await file.read(this.#bytes.subarray(filled, size));
      if (count === null) break;
      filled += count;
    }
    return this.#bytes.subarray(0, filled);
  }
}

/** The index of `paths`, or why it cannot be used. */
async function readIndex(paths: PackPaths): Promise<DecodedIndex | { problem: string }> {
  try {
    const index = decodeIndex(await Deno.readFile(paths.index), paths.index);
    if (toHex(index.packId) !== paths.name) return { problem: "its index names another pack" };
    return index;
  } catch (error) {
    if (!(error instanceof IntegrityError)) throw error;
    return { problem: `its index is damaged: ${errorMessage(error)}` };
  }
}

function listBlobs(index: DecodedIndex, reason: string): DamagedBlob[] {
  const blobs: DamagedBlob[] = [];
  index.forEach((ids, at) =>
    blobs.push({ id: toHex(ids.subarray(at, at + CHUNK_ID_BYTES)), reason })
  );
  return blobs;
}

/** Snapshot record files: each must hold at least a sealed blob's overhead, and not too much. */
async function checkSnapshots(dir: string, max: number, report: ScrubReport): Promise<void> {
  for (const name of await listFolder(`${dir}/snapshots`)) {
    if (!/^[0-9a-f]{16}$/.test(name)) continue;
    report.snapshots++;
    const { size } = await Deno.stat(`${dir}/snapshots/${name}`);
    if (size < BLOB_OVERHEAD_BYTES || size > max) {
      const problem = `its record file is ${size} bytes, outside ${BLOB_OVERHEAD_BYTES}–${max}`;
      report.damage.push({ snapshot: name, problems: [problem], blobs: [] });
    }
  }
}

/** The names of the index files (pack ids), sorted. */
async function indexNames(root: string): Promise<string[]> {
  const names = (await listFolder(indexDir(root)))
    .filter((name) => name.endsWith(".idx") && PACK_NAME.test(name.slice(0, -4)))
    .map((name) => name.slice(0, -4));
  return names.sort();
}

/** The ids of the sealed pack files. */
async function packNames(root: string): Promise<Set<string>> {
  const names = new Set<string>();
  for (const folder of await listFolder(packsDir(root))) {
    for (const file of await listFolder(`${packsDir(root)}/${folder}`)) {
      const name = file.slice(0, -".pack".length);
      if (file.endsWith(".pack") && PACK_NAME.test(name) && name.startsWith(folder)) {
        names.add(name);
      }
    }
  }
  return names;
}

/** The entry names of folder `path`; none when it is missing. */
async function listFolder(path: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return [];
    }
    throw error;
  }
  return names;
}
