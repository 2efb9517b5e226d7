/**
 * Sends sealed blobs to the server without waiting per chunk: each batch goes out as
 * `put_chunks` frames of at most ~2 MiB (or one larger blob) written straight from the blobs'
 * own buffers (no copy), `send` resolves once they are on the wire (so the caller may free
 * them), and it waits for acknowledgements only when the bytes the server has not confirmed pass
 * a window. Blobs whose id this push already sent are dropped. Once the server refused a batch
 * (a full quota, a failing disk), the next `send` throws that error instead of sending more.
 *
 * @module
 */
import type { BurrowClient } from "./burrow_client.ts";
import type { IdentifiedBlob } from "../protocol/mod.ts";
import { IdHashSet } from "../format/id_hash_set.ts";

/** Frame size: a server holds one frame per connection, so 32 pushes cost it 32 of these. */
const FRAME_BUDGET = 2 * 1024 * 1024;

/** Pipelined `put_chunks` with a bounded window of unacknowledged bytes. */
export class ChunkUploader {
  readonly #client: BurrowClient;
  readonly #windowBytes: number;
  readonly #sent = new IdHashSet();
  readonly #inFlight: { bytes: number; ack: Promise<void> }[] = [];
  #unacked = 0;
  /** The first refused batch's error: nothing more is sent once it is known. */
  #failure: { error: unknown } | undefined;
  /** Bytes of sealed blobs sent. */
  bytesSent = 0;
  /** Bytes the server stored (new to it) of what was sent. */
  bytesStored = 0;

  constructor(client: BurrowClient, options: { windowBytes?: number } = {}) {
    this.#client = client;
    this.#windowBytes = options.windowBytes ?? 64 * 1024 * 1024;
  }

  /** Whether a blob with this id was sent by this uploader. */
  hasSent(id: Uint8Array): boolean {
    return this.#sent.has(id);
  }

  /**
   * Queues blobs for sending; resolves when the window has room again.
   * @throws the error of a batch the server refused earlier
   */
  async send(blobs: readonly IdentifiedBlob[]): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure.error;
    let frame: IdentifiedBlob[] = [];
    let frameBytes = 0;
    for (const blob of blobs) {
      if (!this.#sent.add(blob.id)) continue;
      if (frameBytes + blob.blob.length > FRAME_BUDGET && frame.length > 0) {
        await this.#put(frame, frameBytes);
        frame = [];
        frameBytes = 0;
      }
      frame.push({ id: blob.id, blob: blob.blob });
      frameBytes += blob.blob.length + 36;
    }
    if (frame.length > 0) await this.#put(frame, frameBytes);
  }

  /** Resolves when every blob sent was acknowledged. @throws the first failed put's error */
  async finish(): Promise<void> {
    while (this.#inFlight.length > 0) await this.#inFlight.shift()!.ack;
  }

  async #put(frame: IdentifiedBlob[], bytes: number): Promise<void> {
    const { written, reply } = this.#client.putChunks(frame);
    const ack = reply.then((stored) => {
      this.bytesStored += stored.bytes;
      this.#unacked -= bytes;
    });
    // A rejection is reported by finish() or the next wait; keep it from going unhandled meanwhile.
    ack.catch((error) => (this.#failure ??= { error }));
    this.bytesSent += bytes - 36 * frame.length;
    this.#unacked += bytes;
    this.#inFlight.push({ bytes, ack });
    await written;
    while (this.#unacked > this.#windowBytes && this.#inFlight.length > 0) {
      await this.#inFlight.shift()!.ack;
    }
  }
}
