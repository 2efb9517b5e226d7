/**
 * Writes one pack file: records are copied into a staging buffer synchronously (so concurrent
 * puts never interleave bytes), and each full buffer is written with one call, in order, through
 * a promise chain. Until a buffer is written its records are served from memory. The pack's
 * SHA-256 is taken from the same buffers as they are written, in file order, so sealing never
 * reads the file back.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { syncDir } from "../atomic_file.ts";
import { PACK_MAGICS, PACK_VERSION, recordHeaderBytes, writeRecordHeader } from "./_pack_format.ts";

const MAGIC = PACK_MAGICS[PACK_VERSION];
/** Bytes of the header of each record this writer appends. */
const HEADER_BYTES = recordHeaderBytes(PACK_VERSION);
import { PackPaths, packsDir } from "./_pack_layout.ts";
import { STAGE_BYTES, type WriteBudget } from "./_write_budget.ts";

/** Replaceable file operations, so tests can inject failures. */
export interface PackFileHooks {
  /** Makes a pack file's contents durable (fsync). */
  syncFile(file: Deno.FsFile, path: string): Promise<void>;
}

interface Segment {
  /** Offset in the pack of `bytes[0]`. */
  start: number;
  bytes: Uint8Array;
  /** Bytes charged to the budget for it. */
  charged: number;
}

/** One pack being written, from its temp file to its sealed, renamed file. */
export class PackWriter {
  /** The pack's id. */
  readonly id: Uint8Array;
  /** The pack's file paths. */
  readonly paths: PackPaths;
  #root: string;
  #budget: WriteBudget;
  #hooks: PackFileHooks;
  #size = 0;
  #stage: Segment | undefined;
  #pending: Segment[] = [];
  #file: Deno.FsFile | undefined;
  #chain: Promise<void>;
  #onError: (error: unknown) => void;
  readonly #hash: Hash = createHash("sha256");

  /** Starts a pack in `root`; `onError` hears of the first failed write at once. */
  constructor(
    root: string,
    id: Uint8Array,
    budget: WriteBudget,
    hooks: PackFileHooks,
    onError: (error: unknown) => void,
  ) {
    this.id = id;
    this.paths = new PackPaths(root, id);
    this.#root = root;
    this.#budget = budget;
    this.#hooks = hooks;
    this.#onError = onError;
    this.#chain = this.#then(() => this.#create());
    this.#newStage(MAGIC.length);
    this.#stage!.bytes.set(MAGIC);
    this.#size = MAGIC.length;
  }

  /** Bytes in the pack so far, written or not. */
  get size(): number {
    return this.#size;
  }

  /** Queues a record (copying `blob`); returns its offset. `charge` counts once submitted. */
  append(id: Uint8Array, blob: Uint8Array, charge: number): number {
    const need = HEADER_BYTES + blob.length;
    let stage = this.#stage;
    if (stage === undefined || stage.bytes.length - (this.#size - stage.start) < need) {
      this.submit();
      stage = this.#newStage(need);
    }
    const offset = this.#size;
    const at = offset - stage.start;
    writeRecordHeader(stage.bytes, at, id, blob);
    stage.bytes.set(blob, at + HEADER_BYTES);
    stage.charged += charge;
    this.#size += need;
    if (this.#size - stage.start === stage.bytes.length) this.submit();
    return offset;
  }

  /** A copy of `length` bytes at `offset` if they are not written yet, else undefined. */
  readQueued(offset: number, length: number): Uint8Array | undefined {
    for (const segment of [...this.#pending, this.#stage]) {
      if (segment === undefined || offset < segment.start) continue;
      const at = offset - segment.start;
      if (at < segment.bytes.length) return segment.bytes.slice(at, at + length);
    }
    return undefined;
  }

  /**
   * Writes what is queued, fsyncs the file, renames it to `.pack` and fsyncs its folder.
   * @returns the SHA-256 of the whole pack file, as written
   */
  async seal(): Promise<Uint8Array> {
    this.submit();
    await this.#chain;
    const file = this.#file!;
    await this.#hooks.syncFile(file, this.paths.temp);
    this.#file = undefined;
    file.close();
    await Deno.rename(this.paths.temp, this.paths.pack);
    await syncDir(this.paths.dir);
    return this.#hash.digest();
  }

  /**
   * Gives up the pack: waits for writes in flight, returns unwritten bytes to the budget, closes
   * the file. The caller removes the files.
   */
  async abort(): Promise<void> {
    this.submit();
    await this.#chain.catch(() => {});
    for (const segment of this.#pending.splice(0)) this.#budget.release(segment.charged);
    this.#file?.close();
    this.#file = undefined;
  }

  #newStage(need: number): Segment {
    const bytes = need <= STAGE_BYTES ? this.#budget.buffer() : new Uint8Array(need);
    this.#stage = { start: this.#size, bytes, charged: 0 };
    return this.#stage;
  }

  /** Queues the staging buffer's filled part for writing now (as when it fills up). */
  submit(): void {
    const stage = this.#stage;
    if (stage === undefined) return;
    this.#stage = undefined;
    const segment = { ...stage, bytes: stage.bytes.subarray(0, this.#size - stage.start) };
    this.#pending.push(segment);
    this.#budget.add(segment.charged);
    this.#chain = this.#then(async () => {
      const file = this.#file!;
      this.#hash.update(segment.bytes);
      for (let at = 0; at < segment.bytes.length;) {
        at += await file.write(segment.bytes.subarray(at));
      }
      this.#pending.shift();
      this.#budget.release(segment.charged);
      this.#budget.recycle(stage.bytes);
    });
  }

  async #create(): Promise<void> {
    try {
      await Deno.mkdir(this.paths.dir, { mode: 0o700 });
      await syncDir(packsDir(this.#root));
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    this.#file = await Deno.open(this.paths.temp, { write: true, createNew: true, mode: 0o600 });
  }

  #then(step: () => Promise<void>): Promise<void> {
    const next = (this.#chain ?? Promise.resolve()).then(step);
    next.catch(this.#onError);
    return next;
  }
}
