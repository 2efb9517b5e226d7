/**
 * A `ReadableStream` of byte arrays read into the caller's buffers, the way `Deno.Conn.read`
 * fills them: an HTTP body as the byte stream a frame reader takes.
 *
 * A byte stream (a `fetch` body in browsers and Deno) is read with a BYOB reader into one
 * scratch buffer of its own, reused for every read, and copied from there: the stream then
 * allocates nothing per read (in Chromium, fresh memory for every piece of a body cost more
 * than the copy). Other streams are read piece by piece as they come.
 *
 * @module
 */

/** Bytes of the scratch buffer a byte stream is read into. */
const SCRATCH_BYTES = 256 * 1024;

/** Reads one stream; one reader at a time. */
export class ReadableBytes {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader;
  #scratch: ArrayBuffer | null;
  #leftover: Uint8Array | null = null;
  #ended = false;
  /** Bytes taken from the stream so far (handed out or not). */
  received = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    let byob: ReadableStreamBYOBReader | null = null;
    try {
      byob = stream.getReader({ mode: "byob" });
    } catch {
      // Not a byte stream: read its pieces as they come.
    }
    this.#reader = byob ?? stream.getReader();
    this.#scratch = byob === null ? null : new ArrayBuffer(SCRATCH_BYTES);
  }

  /**
   * Fills a prefix of `p` with the stream's next bytes.
   * @returns the count, or null at the end of the stream (or once cancelled)
   * @throws what the stream failed with
   */
  async read(p: Uint8Array): Promise<number | null> {
    while (this.#leftover === null) {
      if (this.#ended) return null;
      const { done, value } = await this.#next();
      if (done || value === undefined) {
        this.#ended = true;
        return null;
      }
      this.received += value.length;
      if (value.length > 0) this.#leftover = value;
    }
    const n = Math.min(p.length, this.#leftover.length);
    p.set(this.#leftover.subarray(0, n));
    this.#leftover = n === this.#leftover.length ? null : this.#leftover.subarray(n);
    return n;
  }

  /** Stops reading: the stream is cancelled, later reads return null. */
  cancel(): void {
    this.#ended = true;
    this.#leftover = null;
    this.#reader.cancel().catch(() => {});
  }

  /** The next piece: in the scratch buffer (which the read hands back) or as the stream made it. */
  async #next(): Promise<ReadableStreamReadResult<Uint8Array>> {
    if (this.#scratch === null) {
      return await (this.#reader as ReadableStreamDefaultReader<Uint8Array>).read();
    }
    const reader = this.#reader as ReadableStreamBYOBReader;
    const result = await reader.read(new Uint8Array(this.#scratch));
    // The read moved the scratch buffer into the stream and back: keep the one it returned.
    if (result.value !== undefined) this.#scratch = result.value.buffer as ArrayBuffer;
    return result;
  }
}
