/**
 * Chunks fetched from the server for a restore: `get_chunks` requests pipelined ahead of the
 * consumer (bounded by a count of requests in flight and by the plaintext held), each blob
 * opened, decompressed and checked against its keyed id (`ChunkOpener`, on this thread or on
 * open workers) before it is handed out.
 *
 * @module
 */
import type { BurrowClient } from "./burrow_client.ts";
import { IntegrityError, ProtocolError } from "../errors.ts";
import type { Payloads } from "../protocol/mod.ts";
import { toHex } from "../format/chunk_id.ts";
import { MAX_CHUNK_SIZE } from "../format/chunker.ts";
import type { RepositoryKeys } from "../format/master_key.ts";
import { releaseBytes } from "../release_bytes.ts";
import { ChunkOpener, type OpenedChunk, plainIn } from "./_chunk_opener.ts";
import { Fifo } from "../fifo.ts";
import { OpenPool } from "./_open_pool.ts";
import {
  type ChunkItem,
  type ChunkSource,
  type ChunkWant,
  MissingChunkError,
} from "./chunk_source.ts";

/** Tuning of a `RemoteChunkSource`. */
export interface RemoteChunkSourceOptions {
  /** Most ids per `get_chunks` request (default 256). */
  idsPerRequest?: number;
  /**
   * Requests in flight at once (default 2: with the whole tree fetched as one stream, 2 restored
   * as fast as 4, for ~20 MiB less memory).
   */
  requestsInFlight?: number;
  /** Plaintext held ahead of the consumer before fetching pauses (default 4 MiB). */
  aheadBytes?: number;
  /**
   * Blob bytes one request asks for (default 4 MiB, at most {@link MAX_REPLY_BYTES}): larger
   * for a fetcher that pays for each request (a chunk stream is one HTTPS request each).
   */
  replyBytes?: number;
  /**
   * Threads that open and verify blobs (default 0: this thread). Worth it for a restore, where
   * opening is about a third of the CPU time; not for a few manifest chunks. `close` stops them.
   */
  openWorkers?: number;
  /**
   * Without open workers: awaited after each blob opened on this thread, so that a thread that
   * also draws a page can do so between blobs (default: no pause).
   */
  pauseBetweenBlobs?: () => Promise<void>;
}

type Slot = { plain: Uint8Array } | { error: IntegrityError };

/** Ids of damaged blobs kept to report; a repository damaged further heals over several pulls. */
const MAX_DAMAGED_KEPT = 10_000;

/** Blob bytes one request asks for by default: a quarter of a frame. */
const REPLY_BYTES = 4 * 1024 * 1024;
/** The most blob bytes one request may ask for: half a frame, so that replies hold every id. */
export const MAX_REPLY_BYTES = 8 * 1024 * 1024;

/** The one call a `RemoteChunkSource` makes. */
export type ChunkFetcher = Pick<BurrowClient, "getChunks">;

/** A `ChunkSource` over a logged-in connection. */
export class RemoteChunkSource implements ChunkSource {
  readonly #client: ChunkFetcher;
  readonly #opener: ChunkOpener;
  readonly #pool: OpenPool | null;
  readonly #perRequest: number;
  readonly #inFlight: number;
  readonly #aheadBytes: number;
  readonly #replyBytes: number;
  readonly #pause: (() => Promise<void>) | null;
  /** Bytes of sealed blobs received (what the network carried). */
  bytesReceived = 0;
  /**
   * Ids of the blobs the server sent that did not open or verify under the key (at most
   * `MAX_DAMAGED_KEPT`): damaged where they are kept, worth telling the server
   * (`BurrowClient.reportDamaged`) so that the next push stores them again.
   */
  readonly damagedIds: Uint8Array[] = [];
  /** Running average of a blob's size; starts at the chunker's average. */
  #blobBytes = 1024 * 1024;

  constructor(
    client: ChunkFetcher,
    keys: Pick<RepositoryKeys, "idKey" | "dataKey">,
    options: RemoteChunkSourceOptions = {},
  ) {
    this.#client = client;
    this.#opener = new ChunkOpener(keys);
    const workers = options.openWorkers ?? 0;
    if (!Number.isSafeInteger(workers) || workers < 0) {
      throw new RangeError(`Cannot fetch chunks: openWorkers "${workers}" is invalid`);
    }
    this.#pool = workers > 0 ? new OpenPool(keys, workers) : null;
    this.#perRequest = options.idsPerRequest ?? 256;
    this.#inFlight = options.requestsInFlight ?? 2;
    this.#aheadBytes = options.aheadBytes ?? 4 * 1024 * 1024;
    this.#replyBytes = options.replyBytes ?? REPLY_BYTES;
    if (
      !Number.isSafeInteger(this.#replyBytes) || this.#replyBytes < 1 ||
      this.#replyBytes > MAX_REPLY_BYTES
    ) {
      throw new RangeError(`Cannot fetch chunks: replyBytes "${this.#replyBytes}" is invalid`);
    }
    this.#pause = options.pauseBetweenBlobs ?? null;
  }

  /** The verified plaintext of each wanted chunk, or why it has none, in order (see `ChunkSource`). */
  async *fetch(chunks: Iterable<ChunkWant>): AsyncGenerator<ChunkItem> {
    const fetcher = new Fetcher(this, chunks[Symbol.iterator]());
    try {
      for (let hex = fetcher.next(); hex !== null; hex = fetcher.next()) {
        yield await fetcher.take(hex);
      }
    } finally {
      fetcher.stop();
    }
  }

  /** Requests `batch` and returns the slots it filled plus the ids the reply left out. */
  async request(batch: Uint8Array[]): Promise<{ filled: Map<string, Slot>; rest: Uint8Array[] }> {
    const reply = await this.#client.getChunks(batch);
    const filled = new Map<string, Slot>();
    for (const id of reply.missing) {
      filled.set(toHex(id), {
        error: new MissingChunkError(
          `Cannot read chunk ${
            toHex(id).slice(0, 16)
          }: the server does not have it (missing or damaged)`,
        ),
      });
    }
    // Read before opening: the ids are views into the reply's frame, which opening frees.
    const hexes = reply.blobs.map(({ id }) => toHex(id));
    const replyBytes = reply.blobs.reduce((sum, { blob }) => sum + blob.length, 0);
    this.bytesReceived += replyBytes;
    if (reply.blobs.length > 0) {
      this.#blobBytes = (this.#blobBytes + replyBytes / reply.blobs.length) / 2;
    }
    const opened = await this.#openAll(reply);
    hexes.forEach((hex, i) => {
      const chunk = opened[i]!;
      if (!("plain" in chunk) && this.damagedIds.length < MAX_DAMAGED_KEPT) {
        this.damagedIds.push(Uint8Array.fromHex(hex));
      }
      filled.set(hex, "plain" in chunk ? chunk : { error: new IntegrityError(chunk.failure) });
    });
    if (filled.size === 0) {
      throw new ProtocolError("Cannot fetch chunks: the server answered with none of them");
    }
    return { filled, rest: batch.filter((id) => !filled.has(toHex(id))) };
  }

  /** Stops the open workers, if any. Call it once done fetching. */
  close(): void {
    this.#pool?.close();
  }

  /**
   * Opens every blob of a reply, here or on an open worker. Where every blob is opened into a
   * buffer of its own, the frame they are views into is freed (or moved to the worker) at once
   * rather than when the collector gets to it; where they were decrypted in place (the web back
   * end), the frame stays as long as their plaintexts.
   */
  async #openAll(reply: Payloads["chunks"]): Promise<OpenedChunk[]> {
    const frame = reply.blobs[0]?.blob.buffer ?? reply.missing[0]?.buffer;
    const views = [...reply.blobs.map((b) => b.blob), ...reply.missing];
    const own = frame instanceof ArrayBuffer && views.every((view) => view.buffer === frame)
      ? frame
      : null;
    if (this.#pool !== null) return await this.#pool.open(reply.blobs, own === null ? [] : [own]);
    const opened: OpenedChunk[] = [];
    for (const { id, blob } of reply.blobs) {
      opened.push(this.#opener.open(id, blob));
      if (this.#pause !== null) await this.#pause();
    }
    if (own !== null && !plainIn(opened, own)) releaseBytes(new Uint8Array(own));
    return opened;
  }

  /** Most ids per request. */
  get idsPerRequest(): number {
    return this.#perRequest;
  }

  /** Requests in flight at once. */
  get requestsInFlight(): number {
    return this.#inFlight;
  }

  /** Plaintext held ahead of the consumer before fetching pauses. */
  get aheadBytes(): number {
    return this.#aheadBytes;
  }

  /**
   * How many of `pending`'s first ids the next request asks for: about `replyBytes` of blobs,
   * each weighed by its plaintext guess (a blob is never more than its plaintext plus 46 bytes)
   * or, without one, by the average blob seen so far. The server answers a prefix of the ids
   * that fits one frame, and a reply cut short would leave the chunks of later requests waiting
   * in memory far ahead of the consumer: sized by the average alone, the first requests for a
   * large file after many small ones each came back as a full 16 MiB frame.
   */
  requestSize(pending: readonly Wanted[]): number {
    let bytes = 0;
    let count = 0;
    while (count < pending.length && count < this.#perRequest) {
      const weight = pending[count]!.plainBytes ?? this.#blobBytes;
      if (count > 0 && bytes + weight > this.#replyBytes) break;
      bytes += weight;
      count++;
    }
    return count;
  }
}

/** A unique id of one `fetch` call, from when it is read until its last use is taken. */
interface Wanted {
  id: Uint8Array;
  hex: string;
  /** The caller's guess of its plaintext size, within 1 B – `MAX_CHUNK_SIZE`, if it gave one. */
  plainBytes: number | undefined;
  /** How many more times the consumer takes it (among the ids read so far). */
  uses: number;
}

/**
 * The read-ahead state of one `fetch` call. It reads the caller's wanted chunks lazily: enough
 * to fill the next request, or the next one the consumer asks for, never the whole list.
 */
class Fetcher {
  readonly #source: RemoteChunkSource;
  readonly #wants: Iterator<ChunkWant>;
  #wantsDone = false;
  #wantsFailure: Error | null = null;
  /** Hex of every id read and not yet handed to the consumer, in order. */
  readonly #order = new Fifo<string>();
  /** Unique ids read and not requested yet, in first-use order. */
  #pending: Wanted[] = [];
  /** Ids read whose last use is not taken yet, by hex. */
  readonly #ids = new Map<string, Wanted>();
  readonly #ready = new Map<string, Slot>();
  readonly #waiters = new Map<string, () => void>();
  /** Ids of requests in flight. */
  readonly #requested = new Set<string>();
  /** The id the consumer waits for, if any. */
  #wanted: string | null = null;
  #heldBytes = 0;
  #running = 0;
  #stopped = false;
  #failure: Error | null = null;

  constructor(source: RemoteChunkSource, wants: Iterator<ChunkWant>) {
    this.#source = source;
    this.#wants = wants;
    this.#pump();
  }

  /**
   * The hex of the next id to hand out, or null after the last.
   * @throws what iterating the caller's chunks threw, once the ids read before are handed out
   */
  next(): string | null {
    if (this.#order.size === 0 && !this.#read()) {
      if (this.#wantsFailure !== null) throw this.#wantsFailure;
      return null;
    }
    return this.#order.shift();
  }

  /**
   * The plaintext of `hex` (from `next`) once fetched, or the IntegrityError saying why it has
   * none (given for each use of the id).
   *
   * @throws what made fetching stop (a failed request)
   */
  async take(hex: string): Promise<ChunkItem> {
    while (!this.#ready.has(hex)) {
      if (this.#failure !== null) throw this.#failure;
      this.#wanted = hex;
      this.#pump();
      await new Promise<void>((resolve) => this.#waiters.set(hex, resolve));
    }
    this.#wanted = null;
    const slot = this.#ready.get(hex)!;
    const wanted = this.#ids.get(hex)!;
    if (--wanted.uses > 0) {
      return "error" in slot ? slot.error : slot.plain.slice(); // the consumer may free what it gets
    }
    this.#ids.delete(hex);
    this.#ready.delete(hex);
    if ("error" in slot) return slot.error;
    this.#heldBytes -= slot.plain.length;
    this.#pump();
    return slot.plain;
  }

  /** Stops fetching and reading the caller's chunks; what is held is dropped. */
  stop(): void {
    this.#stopped = true;
    this.#ready.clear();
    if (!this.#wantsDone) {
      this.#wantsDone = true;
      this.#wants.return?.();
    }
  }

  /**
   * Reads one wanted chunk from the caller: a new id goes to `#pending`, a repeat of one still
   * in use counts one more use. False when there are no more (or reading them threw).
   */
  #read(): boolean {
    if (this.#wantsDone) return false;
    let step: IteratorResult<ChunkWant>;
    try {
      step = this.#wants.next();
    } catch (error) {
      this.#wantsDone = true;
      this.#wantsFailure = error instanceof Error ? error : new Error(String(error));
      return false;
    }
    if (step.done) {
      this.#wantsDone = true;
      return false;
    }
    const { id, plainSize } = step.value;
    const hex = toHex(id);
    this.#order.push(hex);
    const known = this.#ids.get(hex);
    if (known !== undefined) {
      known.uses++;
      return true;
    }
    const plainBytes = plainSize === undefined || !Number.isFinite(plainSize)
      ? undefined
      : Math.min(Math.max(Math.ceil(plainSize), 1), MAX_CHUNK_SIZE);
    const wanted: Wanted = { id, hex, plainBytes, uses: 1 };
    this.#ids.set(hex, wanted);
    this.#pending.push(wanted);
    return true;
  }

  /**
   * Sends requests while there is room: fewer than `inFlight` running and less than `aheadBytes`
   * held, or, whatever is held, when the consumer waits for an id no request carries (a reply
   * that left it out can come back after later ones filled the budget). Before each request it
   * reads up to `idsPerRequest` unrequested ids from the caller, which `requestSize` trims to
   * about `REPLY_BYTES`.
   */
  #pump(): void {
    const source = this.#source;
    while (
      !this.#stopped && this.#running < source.requestsInFlight &&
      (this.#heldBytes < source.aheadBytes || this.#starving())
    ) {
      while (this.#pending.length < source.idsPerRequest && this.#read());
      if (this.#pending.length === 0) return;
      const batch = this.#pending.splice(0, source.requestSize(this.#pending));
      for (const wanted of batch) this.#requested.add(wanted.hex);
      this.#running++;
      source.request(batch.map((wanted) => wanted.id)).then(
        ({ filled, rest }) => this.#accept(filled, rest),
        (error) => this.#fail(error instanceof Error ? error : new Error(String(error))),
      );
    }
  }

  #starving(): boolean {
    const wanted = this.#wanted;
    return wanted !== null && !this.#ready.has(wanted) && !this.#requested.has(wanted);
  }

  #accept(filled: Map<string, Slot>, rest: Uint8Array[]): void {
    this.#running--;
    if (this.#stopped) return;
    const again = rest.map((id) => this.#ids.get(toHex(id))!);
    for (const wanted of again) this.#requested.delete(wanted.hex);
    for (const hex of filled.keys()) this.#requested.delete(hex);
    this.#pending.unshift(...again);
    for (const [hex, slot] of filled) {
      this.#ready.set(hex, slot);
      if ("plain" in slot) this.#heldBytes += slot.plain.length;
      this.#waiters.get(hex)?.();
      this.#waiters.delete(hex);
    }
    this.#pump();
  }

  #fail(error: Error): void {
    this.#running--;
    this.#failure ??= error;
    for (const wake of this.#waiters.values()) wake();
    this.#waiters.clear();
  }
}
