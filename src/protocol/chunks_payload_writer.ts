/**
 * Builds a `chunks` payload (see `_binary_codecs.ts`) in one buffer sized up front, each blob
 * filled in its place by the caller (the server reads pack records straight into it): a reply
 * costs one allocation and no copy per blob.
 *
 * @module
 */
import { PAYLOAD_LIMITS } from "./frame_limits.ts";
import {
  CHUNK_ID_LENGTH,
  MAX_BLOB_LENGTH,
  MAX_BLOBS_PER_FRAME,
  MAX_GET_CHUNKS,
  MIN_BLOB_LENGTH,
} from "./payloads.ts";

const ENTRY_HEAD = CHUNK_ID_LENGTH + 4;

/** One `chunks` payload under construction. Single use: `finish` ends it. */
export class ChunksPayloadWriter {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  /** Where the blob list ends: the next entry goes here. */
  #at = 4;
  #count = 0;
  readonly #missing: Uint8Array[] = [];
  readonly #maxMissing: number;
  /** Blobs the writer was sized for, and blob bytes still allowed by that size. */
  readonly #maxBlobs: number;
  #blobBytesLeft: number;
  #finished = false;
  /** A blob is being filled: its place is not settled until `fill` is. */
  #filling = false;

  /**
   * @param blobBytes the sum of the lengths of the blobs it will hold, at most
   * @param blobCount how many blobs, at most
   * @param maxMissing how many missing ids, at most
   * @throws {RangeError} when a payload that size would exceed the `chunks` limit
   */
  constructor(blobBytes: number, blobCount: number, maxMissing: number) {
    const counts = [blobBytes, blobCount, maxMissing];
    if (!counts.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      throw new RangeError(`Cannot build "chunks": invalid sizes ${counts.join(", ")}`);
    }
    if (blobCount > MAX_BLOBS_PER_FRAME || maxMissing > MAX_GET_CHUNKS) {
      throw new RangeError(`Cannot build "chunks": ${blobCount} blobs, ${maxMissing} missing`);
    }
    const size = 4 + blobCount * ENTRY_HEAD + blobBytes + 4 + maxMissing * CHUNK_ID_LENGTH;
    if (size > PAYLOAD_LIMITS.chunks) {
      throw new RangeError(
        `Cannot build "chunks": ${size} bytes exceed the limit of ${PAYLOAD_LIMITS.chunks}`,
      );
    }
    this.#bytes = new Uint8Array(size);
    this.#view = new DataView(this.#bytes.buffer);
    this.#maxMissing = maxMissing;
    this.#blobBytesLeft = blobBytes;
    this.#maxBlobs = blobCount;
  }

  /**
   * Adds the blob of `id`, `length` bytes that `fill` writes into the view it is given. When
   * `fill` rejects, the blob is left out (as if never added) and the error is rethrown. One blob
   * at a time: await each call before the next.
   * @throws {RangeError} when the blob does not fit what the writer was sized for
   */
  async addBlob(
    id: Uint8Array,
    length: number,
    fill: (target: Uint8Array) => Promise<void>,
  ): Promise<void> {
    this.#checkOpen();
    if (id.length !== CHUNK_ID_LENGTH) throw new RangeError(`Cannot build "chunks": id length`);
    if (!Number.isSafeInteger(length) || length < MIN_BLOB_LENGTH || length > MAX_BLOB_LENGTH) {
      throw new RangeError(`Cannot build "chunks": a blob of ${length} bytes is out of bounds`);
    }
    if (this.#count === this.#maxBlobs || length > this.#blobBytesLeft) {
      throw new RangeError(`Cannot build "chunks": a blob of ${length} bytes does not fit`);
    }
    const start = this.#at + ENTRY_HEAD;
    const target = this.#bytes.subarray(start, start + length);
    this.#filling = true;
    try {
      await fill(target);
    } finally {
      this.#filling = false;
    }
    this.#bytes.set(id, this.#at);
    this.#view.setUint32(this.#at + CHUNK_ID_LENGTH, length);
    this.#at = start + length;
    this.#count++;
    this.#blobBytesLeft -= length;
  }

  /** Lists `id` as missing. @throws {RangeError} past `maxMissing` */
  addMissing(id: Uint8Array): void {
    this.#checkOpen();
    if (id.length !== CHUNK_ID_LENGTH) throw new RangeError(`Cannot build "chunks": id length`);
    if (this.#missing.length === this.#maxMissing) {
      throw new RangeError(`Cannot build "chunks": more than ${this.#maxMissing} missing ids`);
    }
    this.#missing.push(id);
  }

  /** The payload: the blobs added, then the missing ids. */
  finish(): Uint8Array {
    this.#checkOpen();
    this.#finished = true;
    this.#view.setUint32(0, this.#count);
    this.#view.setUint32(this.#at, this.#missing.length);
    let at = this.#at + 4;
    for (const id of this.#missing) {
      this.#bytes.set(id, at);
      at += CHUNK_ID_LENGTH;
    }
    return this.#bytes.subarray(0, at);
  }

  #checkOpen(): void {
    if (this.#finished) throw new Error(`Cannot build "chunks": finish() was called`);
    if (this.#filling) throw new Error(`Cannot build "chunks": a blob is still being filled`);
  }
}
