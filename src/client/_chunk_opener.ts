/**
 * Turns one fetched blob into verified chunk plaintext: opened (its AEAD tag, under the chunk
 * id), decompressed when flagged, and its keyed id recomputed and compared. Used on the main
 * thread or in the open workers (`_open_pool.ts`), never trusting the blob.
 *
 * @module
 */
import { errorMessage, IntegrityError } from "../errors.ts";
import { BlobOpener, ChunkIdHasher } from "../format/blob_crypto.ts";
import { toHex } from "../format/chunk_id.ts";
import { MAX_CHUNK_SIZE } from "../format/chunker.ts";
import { decompressChunk } from "../format/decompression.ts";
import type { RepositoryKeys } from "../format/master_key.ts";
import { releaseBytes } from "../release_bytes.ts";

/**
 * A verified chunk's plaintext, or why the blob did not verify. The plaintext is in a buffer of
 * its own, or (where the crypto back end decrypts in place) a view of the blob's buffer.
 */
export type OpenedChunk = { plain: Uint8Array } | { failure: string };

/** Opens and verifies blobs under one repository's keys. */
export class ChunkOpener {
  readonly #opener: BlobOpener;
  readonly #hasher: ChunkIdHasher;

  /** Takes the id key and the data key (opening never cuts chunks, so no gear table). */
  constructor(keys: Pick<RepositoryKeys, "idKey" | "dataKey">) {
    this.#opener = new BlobOpener(keys.dataKey);
    this.#hasher = new ChunkIdHasher(keys.idKey);
  }

  /**
   * The plaintext of the blob sealed for `id`, or the reason it does not verify. The caller
   * gives `blob` up: it may be decrypted in place.
   */
  open(id: Uint8Array, blob: Uint8Array): OpenedChunk {
    try {
      const { payload, compressed } = this.#opener.openInPlace(id, blob);
      const plain = compressed ? decompressChunk(payload, MAX_CHUNK_SIZE) : payload;
      if (compressed) releaseBytes(payload);
      this.#hasher.verify(id, plain);
      return { plain };
    } catch (error) {
      const reason = error instanceof IntegrityError ? errorMessage(error) : String(error);
      return { failure: `Cannot verify chunk ${toHex(id).slice(0, 16)}: ${reason}` };
    }
  }
}

/**
 * Whether a plaintext of `opened` lies in `buffer` (its blob was decrypted in place): the buffer
 * must then stay, not be freed or moved, for as long as those plaintexts are used.
 */
export function plainIn(opened: readonly OpenedChunk[], buffer: ArrayBufferLike): boolean {
  return opened.some((chunk) => "plain" in chunk && chunk.plain.buffer === buffer);
}
