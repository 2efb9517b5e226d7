/**
 * Ranges of sealed pack objects fetched ahead of their reads: the records a reply is about to
 * read (`plan`) are grouped by pack and coalesced, neighbours less than `GAP_BYTES` apart sharing
 * one ranged GET of at most `SPAN_BYTES`, and fetched `GETS_IN_FLIGHT` at a time, so a reply of
 * records scattered over many packs costs a few GETs at once instead of one per record in turn.
 *
 * Invariants: at most `HELD_BYTES` of spans are held (a plan that finds no room leaves the rest
 * to the caller's own reads, oldest spans are dropped first); a span is dropped once every record
 * it was planned for was taken, or when its pack is forgotten. A span whose GET failed serves
 * nothing: the caller reads the record itself and sees the error there. Bytes are handed out as
 * they were fetched; the caller verifies each record.
 *
 * @module
 */

/** Records this far apart or closer in one pack are fetched by one GET. */
const GAP_BYTES = 256 * 1024;
/** Most bytes one GET fetches. */
const SPAN_BYTES = 8 * 1024 * 1024;
/** GETs of planned spans running at once, per store. */
const GETS_IN_FLIGHT = 4;
/** Most bytes of spans held, fetched or being fetched, per store. */
const HELD_BYTES = 32 * 1024 * 1024;

/** A record about to be read: pack number, its object's key, offset and bytes (header too). */
export interface PlannedRead {
  pack: number;
  key: string;
  offset: number;
  need: number;
}

/** Fetches `length` bytes of object `key` from `offset` (fewer at the end of the object). */
export type RangeFetch = (key: string, offset: number, length: number) => Promise<Uint8Array>;

interface Span {
  pack: number;
  start: number;
  end: number;
  /** The fetched bytes, or undefined when the GET failed. */
  bytes: Promise<Uint8Array | undefined>;
  /** Planned records not yet taken. */
  left: number;
}

/** Spans of pack objects fetched ahead for the reads planned. */
export class PackPrefetch {
  readonly #fetch: RangeFetch;
  #spans: Span[] = [];
  #held = 0;
  #running = 0;
  #waiting: (() => void)[] = [];

  constructor(fetch: RangeFetch) {
    this.#fetch = fetch;
  }

  /** Bytes of the spans held now. */
  get heldBytes(): number {
    return this.#held;
  }

  /** Starts fetching the records of `reads` that no span holds, coalesced. */
  plan(reads: readonly PlannedRead[]): void {
    const fresh = reads.filter((read) => this.#find(read.pack, read.offset, read.need) === null)
      .sort((a, b) => a.pack - b.pack || a.offset - b.offset);
    const spans: { read: PlannedRead; end: number; count: number }[] = [];
    for (const read of fresh) {
      const last = spans.at(-1);
      const end = read.offset + read.need;
      if (
        last !== undefined && last.read.pack === read.pack &&
        read.offset - last.end <= GAP_BYTES && end - last.read.offset <= SPAN_BYTES
      ) {
        last.end = Math.max(last.end, end);
        last.count++;
      } else {
        spans.push({ read, end, count: 1 });
      }
    }
    for (const { read, end, count } of spans) {
      const length = end - read.offset;
      while (this.#held + length > HELD_BYTES && this.#spans.length > 0) {
        this.#drop(this.#spans[0]!);
      }
      if (this.#held + length > HELD_BYTES) return;
      const bytes = this.#limited(() => this.#fetch(read.key, read.offset, length))
        .catch(() => undefined);
      this.#spans.push({ pack: read.pack, start: read.offset, end, bytes, left: count });
      this.#held += length;
    }
  }

  /**
   * The `need` bytes at `offset` of pack `pack` when a span holds or is fetching them (counted
   * as taken), else undefined: the caller reads them itself.
   */
  async take(pack: number, offset: number, need: number): Promise<Uint8Array | undefined> {
    const span = this.#find(pack, offset, need);
    if (span === null) return undefined;
    const bytes = await span.bytes;
    if (--span.left <= 0) this.#drop(span);
    const at = offset - span.start;
    if (bytes === undefined || at + need > bytes.length) return undefined;
    return bytes.subarray(at, at + need);
  }

  /** Drops the spans of pack `pack` (removed, or rewritten). */
  forget(pack: number): void {
    for (const span of this.#spans.filter((span) => span.pack === pack)) this.#drop(span);
  }

  #find(pack: number, offset: number, need: number): Span | null {
    return this.#spans.find((span) =>
      span.pack === pack && offset >= span.start && offset + need <= span.end
    ) ?? null;
  }

  #drop(span: Span): void {
    const at = this.#spans.indexOf(span);
    if (at < 0) return;
    this.#spans.splice(at, 1);
    this.#held -= span.end - span.start;
  }

  async #limited<T>(work: () => Promise<T>): Promise<T> {
    while (this.#running >= GETS_IN_FLIGHT) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#running++;
    try {
      return await work();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}
