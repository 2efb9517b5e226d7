/**
 * Writes one pack: records are copied into a staging buffer synchronously (so concurrent puts
 * never interleave bytes), and each full buffer goes to the pack's sink (a file, an object
 * upload) with one call, in order, through a promise chain. Until the sink has taken a buffer,
 * its records are served from memory. The pack's SHA-256 is taken from the same buffers as they
 * are handed on, in pack order, so sealing never reads the pack back.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { PACK_MAGICS, PACK_VERSION, recordHeaderBytes, writeRecordHeader } from "./_pack_format.ts";
import { STAGE_BYTES, type WriteBudget } from "./_write_budget.ts";

const MAGIC = PACK_MAGICS[PACK_VERSION];
/** Bytes of the header of each record this writer appends. */
const HEADER_BYTES = recordHeaderBytes(PACK_VERSION);

/**
 * Where a pack's bytes go. Calls come in order, one at a time: `open`, then `write`s, then
 * `seal` or (after any failure) `abort`.
 */
export interface PackSink {
  /** Starts the pack (its temp file, its upload). */
  open(): Promise<void>;
  /** Appends `bytes`; the caller may reuse them once this resolves. */
  write(bytes: Uint8Array): Promise<void>;
  /** Makes the whole pack durable under its final name; before that it is not visible. */
  seal(): Promise<void>;
  /** Gives the pack up once writes in flight settled (the caller removes what is left). */
  abort(): Promise<void>;
}

interface Segment {
  /** Offset in the pack of `bytes[0]`. */
  start: number;
  bytes: Uint8Array;
  /** Bytes charged to the budget for it. */
  charged: number;
}

/** One pack being written through its sink, until it is sealed. */
export class PackWriter<S extends PackSink = PackSink> {
  /** The pack's id. */
  readonly id: Uint8Array;
  /** Where the bytes go. */
  readonly sink: S;
  #budget: WriteBudget;
  #size = 0;
  #stage: Segment | undefined;
  #pending: Segment[] = [];
  #chain: Promise<void>;
  #onError: (error: unknown) => void;
  readonly #hash: Hash = createHash("sha256");

  /** Starts pack `id` in `sink`; `onError` hears of the first failed write at once. */
  constructor(id: Uint8Array, sink: S, budget: WriteBudget, onError: (error: unknown) => void) {
    this.id = id;
    this.sink = sink;
    this.#budget = budget;
    this.#onError = onError;
    this.#chain = this.#then(() => sink.open());
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

  /** A copy of `length` bytes at `offset` if the sink has not taken them yet, else undefined. */
  readQueued(offset: number, length: number): Uint8Array | undefined {
    for (const segment of [...this.#pending, this.#stage]) {
      if (segment === undefined || offset < segment.start) continue;
      const at = offset - segment.start;
      if (at < segment.bytes.length) return segment.bytes.slice(at, at + length);
    }
    return undefined;
  }

  /**
   * Hands what is queued to the sink and seals it there.
   * @returns the SHA-256 of the whole pack, as written
   */
  async seal(): Promise<Uint8Array> {
    this.submit();
    await this.#chain;
    await this.sink.seal();
    return this.#hash.digest();
  }

  /**
   * Gives up the pack: waits for writes in flight, returns unwritten bytes to the budget, aborts
   * the sink. The caller removes what is left.
   */
  async abort(): Promise<void> {
    this.submit();
    await this.#chain.catch(() => {});
    for (const segment of this.#pending.splice(0)) this.#budget.release(segment.charged);
    await this.sink.abort();
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
      this.#hash.update(segment.bytes);
      await this.sink.write(segment.bytes);
      this.#pending.shift();
      this.#budget.release(segment.charged);
      this.#budget.recycle(stage.bytes);
    });
  }

  #then(step: () => Promise<void>): Promise<void> {
    const next = (this.#chain ?? Promise.resolve()).then(step);
    next.catch(this.#onError);
    return next;
  }
}
