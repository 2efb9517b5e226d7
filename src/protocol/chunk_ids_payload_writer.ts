/**
 * Builds a `chunk_ids` payload (see `_binary_codecs.ts`) in one buffer sized up front, the ids
 * copied into their place by the caller (the server copies them straight from its index): a page
 * costs one allocation and one copy.
 *
 * @module
 */
import { PAYLOAD_LIMITS } from "./frame_limits.ts";
import { CHUNK_ID_LENGTH } from "./payloads.ts";

/** One `chunk_ids` payload under construction: fill `ids`, then `finish`. */
export class ChunkIdsPayloadWriter {
  readonly #bytes: Uint8Array;
  /** Where the ids go, 32 bytes each from its start; room for `maxIds`. */
  readonly ids: Uint8Array;

  /** @throws {RangeError} when `maxIds` is negative or does not fit one payload */
  constructor(maxIds: number) {
    const size = 1 + maxIds * CHUNK_ID_LENGTH;
    if (!Number.isSafeInteger(maxIds) || maxIds < 0 || size > PAYLOAD_LIMITS.chunk_ids) {
      throw new RangeError(`Cannot build "chunk_ids": ${maxIds} ids do not fit one payload`);
    }
    this.#bytes = new Uint8Array(size);
    this.ids = this.#bytes.subarray(1);
  }

  /**
   * The payload holding the first `count` ids of `ids`, and whether more pages follow.
   * @throws {RangeError} when `count` is more than there is room for
   */
  finish(count: number, more: boolean): Uint8Array {
    if (!Number.isSafeInteger(count) || count < 0 || count * CHUNK_ID_LENGTH > this.ids.length) {
      throw new RangeError(`Cannot build "chunk_ids": ${count} ids do not fit`);
    }
    this.#bytes[0] = more ? 1 : 0;
    return this.#bytes.subarray(0, 1 + count * CHUNK_ID_LENGTH);
  }
}
