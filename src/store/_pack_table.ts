/**
 * The packs a store knows, by number (the number the in-memory index stores), and reading a
 * verified record from one of them, whether it is sealed, being written, or still queued.
 *
 * @module
 */
import { type PackVersion, recordHeaderBytes, verifyRecord } from "./_pack_format.ts";
import type { PackPaths } from "./_pack_layout.ts";
import { PackReaders } from "./_pack_reader.ts";
import type { FilePackSink } from "./_file_pack_sink.ts";
import type { PackWriter } from "./_pack_writer.ts";

/** One pack: sealed (its index is on disk) or being written by `writer`. */
export interface PackEntry {
  readonly paths: PackPaths;
  /** The writer until the pack is sealed. */
  writer: PackWriter<FilePackSink> | undefined;
  /** Index slots of the records appended by `writer`. */
  slots: number[];
  /** True once the pack's index is durable. */
  sealed: boolean;
  /** The pack's format version (its record headers). */
  readonly version: PackVersion;
}

/** Packs by number; numbers are never reused while the store is open. */
export class PackTable {
  #packs: (PackEntry | undefined)[] = [];
  #readers = new PackReaders();

  /** Registers a pack; returns its number. */
  add(entry: PackEntry): number {
    this.#packs.push(entry);
    return this.#packs.length - 1;
  }

  /** The pack numbered `pack`, or undefined once removed. */
  get(pack: number): PackEntry | undefined {
    return this.#packs[pack];
  }

  /** Every sealed pack, by number. */
  *sealed(): IterableIterator<[number, PackEntry]> {
    for (const [pack, entry] of this.#packs.entries()) {
      if (entry?.sealed === true) yield [pack, entry];
    }
  }

  /** The size in bytes of pack `pack`'s sealed file. */
  async fileBytes(pack: number): Promise<number> {
    return (await Deno.stat(this.#packs[pack]!.paths.pack)).size;
  }

  /** Forgets pack `pack` and closes its read handle. */
  async remove(pack: number): Promise<void> {
    this.#packs[pack] = undefined;
    await this.#readers.drop(pack);
  }

  /**
   * The blob of `id` stored at `offset` in pack `pack`, read into `target` (of `length` bytes)
   * and verified against its record header; or undefined when the pack is gone (a concurrent
   * repack moved the blob: look it up again).
   * @throws {IntegrityError} when the record is damaged or cut off.
   */
  async read(
    pack: number,
    id: Uint8Array,
    offset: number,
    length: number,
    target: Uint8Array = new Uint8Array(length),
  ): Promise<Uint8Array | undefined> {
    const entry = this.#packs[pack];
    if (entry === undefined) return undefined;
    const headerBytes = recordHeaderBytes(entry.version);
    const queued = entry.writer?.readQueued(offset, headerBytes + length);
    if (queued !== undefined) {
      target.set(queued.subarray(headerBytes, headerBytes + length));
      verifyRecord(queued, queued.length, id, target, entry.paths.pack, entry.version);
      return target;
    }
    const paths = entry.sealed ? [entry.paths.pack] : [entry.paths.temp, entry.paths.pack];
    // The header lands in its own small buffer and the blob straight in `target`: no copy.
    const header = new Uint8Array(headerBytes);
    let read: number;
    try {
      read = await this.#readers.read(pack, paths, offset, [header, target]);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound && this.#packs[pack] !== entry) return undefined;
      throw error;
    }
    verifyRecord(header, read, id, target, entry.paths.pack, entry.version);
    return target;
  }

  /** Closes every read handle. */
  async close(): Promise<void> {
    await this.#readers.closeAll();
  }
}
