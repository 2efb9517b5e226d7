/**
 * The packs an S3 chunk store knows, by number (the number its in-memory index stores), and
 * reading a verified record from one: from the writer's queue while it is still there, else from
 * the spans fetched for the records a reply is about to read (`prefetch`, `_s3_prefetch.ts`), else
 * by a ranged GET of the sealed pack object.
 *
 * @module
 */
import { NotFoundError } from "../../errors.ts";
import { type PackVersion, recordHeaderBytes, verifyRecord } from "../_pack_format.ts";
import type { PackWriter } from "../_pack_writer.ts";
import type { S3PackSink } from "./_s3_pack_sink.ts";
import type { ObjectStore } from "./object_store.ts";
import { packKey } from "./_s3_layout.ts";
import { PackPrefetch, type PlannedRead } from "./_s3_prefetch.ts";

/** One pack: sealed (its object and index exist) or being written by `writer`. */
export interface S3PackEntry {
  /** The pack id in hex. */
  readonly name: string;
  readonly version: PackVersion;
  /** Bytes of the sealed pack object (0 until sealed). */
  size: number;
  /** The writer until the pack is sealed. */
  writer: PackWriter<S3PackSink> | undefined;
  /** Index slots of the records appended by `writer`. */
  slots: number[];
  /** True once the pack's index is stored. */
  sealed: boolean;
  /** Settles once a seal started on the pack has ended (sealed, or failed). */
  sealing: Promise<void> | undefined;
}

/** Bytes fetched with one ranged GET when a read misses the windows: a restore reads a pack's
 * records mostly in order, so the next blobs usually come from memory. */
const WINDOW_BYTES = 4 * 1024 * 1024;
/** Windows kept (the most recent ones). */
const WINDOWS = 2;

/**
 * A span of a sealed pack read by one GET: reads that fall in it while the GET runs wait for it
 * rather than fetch the same bytes again.
 */
interface Window {
  pack: number;
  start: number;
  /** Bytes asked for (fewer arrive at the end of the object). */
  length: number;
  bytes: Promise<Uint8Array>;
}

/** What `S3PackTable.read` found. */
export type PackRead = Uint8Array | "gone" | "unsealed";

/** Packs by number; numbers are never reused while the store is open. */
export class S3PackTable {
  readonly #objects: ObjectStore;
  readonly #root: string;
  #packs: (S3PackEntry | undefined)[] = [];
  readonly #byName = new Map<string, number>();
  #windows: Window[] = [];
  readonly #ahead: PackPrefetch;

  constructor(objects: ObjectStore, root: string) {
    this.#objects = objects;
    this.#root = root;
    this.#ahead = new PackPrefetch(async (key, offset, length) => {
      const bytes = new Uint8Array(length);
      return bytes.subarray(0, await objects.read(key, offset, [bytes]));
    });
  }

  /**
   * Starts fetching the records at `reads` (pack, offset, blob length) of sealed packs together,
   * for the `read`s that follow.
   */
  prefetch(reads: readonly { pack: number; offset: number; length: number }[]): void {
    const planned: PlannedRead[] = [];
    for (const { pack, offset, length } of reads) {
      const entry = this.#packs[pack];
      if (entry?.sealed !== true) continue;
      const need = recordHeaderBytes(entry.version) + length;
      planned.push({ pack, key: packKey(this.#root, entry.name), offset, need });
    }
    this.#ahead.plan(planned);
  }

  /** Registers a pack; returns its number. */
  add(entry: S3PackEntry): number {
    this.#packs.push(entry);
    const pack = this.#packs.length - 1;
    this.#byName.set(entry.name, pack);
    return pack;
  }

  /** The number of the pack named `name`, or undefined when there is none. */
  numberOf(name: string): number | undefined {
    return this.#byName.get(name);
  }

  /** The pack numbered `pack`, or undefined once removed. */
  get(pack: number): S3PackEntry | undefined {
    return this.#packs[pack];
  }

  /** Every sealed pack, by number. */
  *sealed(): IterableIterator<[number, S3PackEntry]> {
    for (const [pack, entry] of this.#packs.entries()) {
      if (entry?.sealed === true) yield [pack, entry];
    }
  }

  /** The size in bytes of sealed pack `pack`. */
  fileBytes(pack: number): Promise<number> {
    return Promise.resolve(this.#packs[pack]?.size ?? 0);
  }

  /** Forgets pack `pack`. */
  remove(pack: number): void {
    const name = this.#packs[pack]?.name;
    if (name !== undefined && this.#byName.get(name) === pack) this.#byName.delete(name);
    this.#packs[pack] = undefined;
    this.#ahead.forget(pack);
    this.#windows = this.#windows.filter((window) => window.pack !== pack);
  }

  /**
   * The blob of `id` stored at `offset` in pack `pack`, read into `target` (of `length` bytes)
   * and verified against its record header; "unsealed" when its bytes left the writer but the
   * pack is not sealed yet (seal it, then read again); "gone" when the pack is gone (a repack
   * moved the blob: look it up again).
   * @throws {IntegrityError} when the record is damaged or cut off.
   */
  async read(
    pack: number,
    id: Uint8Array,
    offset: number,
    length: number,
    target: Uint8Array = new Uint8Array(length),
  ): Promise<PackRead> {
    const entry = this.#packs[pack];
    if (entry === undefined) return "gone";
    const headerBytes = recordHeaderBytes(entry.version);
    const key = packKey(this.#root, entry.name);
    const queued = entry.writer?.readQueued(offset, headerBytes + length);
    const blobOf = (record: Uint8Array) => {
      target.set(record.subarray(headerBytes, headerBytes + length));
      verifyRecord(record, record.length, id, target, key, entry.version);
      return target;
    };
    if (queued !== undefined) return blobOf(queued);
    if (!entry.sealed) return "unsealed";
    const need = headerBytes + length;
    const planned = await this.#ahead.take(pack, offset, need);
    if (planned !== undefined) return blobOf(planned);
    let window = this.#windows.find((w) =>
      w.pack === pack && offset >= w.start && offset + need <= w.start + w.length
    );
    if (window === undefined) {
      const length = Math.max(need, Math.min(WINDOW_BYTES, entry.size - offset));
      const bytes = new Uint8Array(length);
      const read = this.#objects.read(key, offset, [bytes]).then((n) => bytes.subarray(0, n));
      window = { pack, start: offset, length, bytes: read };
      if (this.#packs[pack] === entry) this.#windows = [window, ...this.#windows].slice(0, WINDOWS);
    }
    let bytes: Uint8Array;
    try {
      bytes = await window.bytes;
    } catch (error) {
      this.#windows = this.#windows.filter((w) => w !== window);
      if (error instanceof NotFoundError && this.#packs[pack] !== entry) return "gone";
      throw error;
    }
    const at = offset - window.start;
    return blobOf(bytes.subarray(at, at + need));
  }
}
