/**
 * A `ReadableStream` of byte arrays read into the caller's buffers, the way `Deno.Conn.read`
 * fills them: an HTTP body as the byte stream a frame reader takes.
 *
 * @module
 */

/** Reads one stream; one reader at a time. */
export class ReadableBytes {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #leftover: Uint8Array | null = null;
  #ended = false;
  /** Bytes taken from the stream so far (handed out or not). */
  received = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /**
   * Fills a prefix of `p` with the stream's next bytes.
   * @returns the count, or null at the end of the stream (or once cancelled)
   * @throws what the stream failed with
   */
  async read(p: Uint8Array): Promise<number | null> {
    while (this.#leftover === null) {
      if (this.#ended) return null;
      const { done, value } = await this.#reader.read();
      if (done) {
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
}
