/**
 * A pack's bytes as an S3 multipart upload: the bytes are gathered into parts of `partBytes`
 * (S3 wants at least 5 MiB but for the last), each part uploaded as soon as it is full, at most
 * `PARTS_IN_FLIGHT` at a time (a write waits for room, which holds the pack writer's queue and
 * so the puts). Sealing uploads the last part and completes the upload: only then does the pack
 * object exist, whole. Memory: a part being filled and the parts in flight, per pack written;
 * part buffers come from a store's `PartBuffers` and go back to it once uploaded, so a push does
 * not fault in fresh memory for every part.
 *
 * @module
 */
import type { PackSink } from "../_pack_writer.ts";
import type { ObjectStore, UploadedPart } from "./object_store.ts";

/** Parts of one pack uploading at once. */
const PARTS_IN_FLIGHT = 2;

/** Spare part buffers kept per store (beyond them, an uploaded part's buffer is dropped). */
const SPARE_PARTS = 4;

/** Part buffers of one size, reused across the packs of a store. */
export class PartBuffers {
  /** Bytes of each part but the last. */
  readonly bytes: number;
  readonly #spare: Uint8Array[] = [];

  constructor(bytes: number) {
    this.bytes = bytes;
  }

  /** A buffer of `bytes`, reused when one is spare. */
  take(): Uint8Array {
    return this.#spare.pop() ?? new Uint8Array(this.bytes);
  }

  /** Takes back a buffer nothing refers to any more. */
  give(buffer: Uint8Array): void {
    if (buffer.length === this.bytes && this.#spare.length < SPARE_PARTS) this.#spare.push(buffer);
  }
}

/** One pack object written with a multipart upload. */
export class S3PackSink implements PackSink {
  /** The pack object's key. */
  readonly key: string;
  readonly #objects: ObjectStore;
  readonly #buffers: PartBuffers;
  #uploadId: string | undefined;
  #part: Uint8Array | undefined;
  #filled = 0;
  #parts: UploadedPart[] = [];
  #nextPart = 1;
  #inFlight = new Set<Promise<void>>();
  #failure: unknown = undefined;

  constructor(objects: ObjectStore, key: string, buffers: PartBuffers) {
    this.#objects = objects;
    this.key = key;
    this.#buffers = buffers;
  }

  /** Starts the multipart upload. */
  async open(): Promise<void> {
    this.#uploadId = await this.#objects.startUpload(this.key);
  }

  /** Copies `bytes` into parts, uploading each one that fills. */
  async write(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) {
      this.#part ??= this.#buffers.take();
      const count = Math.min(bytes.length - at, this.#part.length - this.#filled);
      this.#part.set(bytes.subarray(at, at + count), this.#filled);
      this.#filled += count;
      at += count;
      if (this.#filled === this.#part.length) await this.#uploadPart();
    }
  }

  /** Uploads the last part, waits for every part, and completes the upload. */
  async seal(): Promise<void> {
    if (this.#filled > 0 || this.#nextPart === 1) {
      await this.#uploadPart();
    }
    await this.#settle();
    if (this.#failure !== undefined) throw this.#failure;
    await this.#objects.completeUpload(this.key, this.#uploadId!, this.#parts);
  }

  /** Waits for the parts in flight and aborts the upload, dropping its parts. */
  async abort(): Promise<void> {
    await this.#settle();
    if (this.#part !== undefined) this.#buffers.give(this.#part);
    this.#part = undefined;
    if (this.#uploadId !== undefined) await this.#objects.abortUpload(this.key, this.#uploadId);
  }

  /** Starts the upload of the part filled so far; waits while too many are in flight. */
  async #uploadPart(): Promise<void> {
    while (this.#inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(this.#inFlight);
    if (this.#failure !== undefined) throw this.#failure;
    const buffer = this.#part ?? new Uint8Array(0);
    const body = buffer.subarray(0, this.#filled);
    const partNumber = this.#nextPart++;
    this.#part = undefined;
    this.#filled = 0;
    const upload = this.#objects.uploadPart(this.key, this.#uploadId!, partNumber, body).then(
      (part) => void this.#parts.push(part),
      (error) => void (this.#failure ??= error),
    ).finally(() => this.#buffers.give(buffer));
    this.#inFlight.add(upload);
    upload.finally(() => this.#inFlight.delete(upload));
  }

  async #settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }
}
