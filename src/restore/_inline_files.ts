/**
 * The restorer's file writer for a restore of a few files: the same file operations as a restore
 * worker (`_file_ops.ts`), run on the restorer's own thread, since starting a worker takes longer
 * than writing a few files. Each chunk is written straight from its buffer (no ring, no copy);
 * zeros become holes as on a worker.
 *
 * @module
 */
import { releaseBytes } from "../release_bytes.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import { dataAndHoles, MIN_HOLE_BYTES } from "./_all_zero.ts";
import { currentUmask, FileOps } from "./_file_ops.ts";
import type { RestorePool } from "./_restore_pool.ts";

/** What the restorer asks of a file writer, on workers (`RestorePool`) or on this thread. */
export type FileWriters = Pick<RestorePool, "writeFile" | "finish" | "close">;

/** Writes files on this thread (see the module comment). */
export class InlineFiles implements FileWriters {
  readonly #ops: FileOps;
  #nextFile = 0;
  #failure: Error | null = null;

  constructor() {
    this.#ops = new FileOps(currentUmask());
  }

  /**
   * Writes `entry`'s chunks to `temp`, gives it `owner` (when given), its mode and mtime, and
   * renames it to `path`; when `chunks` throws or a file call fails, `temp` is removed and the
   * error rethrown. Each chunk is freed once written: they must be the caller's own.
   *
   * @throws the first file system error met, now or from an earlier file
   */
  async writeFile(
    entry: TreeEntry,
    temp: string,
    path: string,
    chunks: AsyncIterable<Uint8Array>,
    owner?: { uid: number; gid: number },
  ): Promise<void> {
    this.#throwIfFailed();
    const ops = this.#ops;
    const file = this.#nextFile++;
    const { mode, mtimeNs } = entry;
    let writing = true; // a file call is what failed, not `chunks`
    try {
      ops.open({ op: "open", file, temp, path, mode, mtimeNs, ...(owner && { owner }) });
      writing = false;
      for await (const chunk of chunks) {
        writing = true;
        for (const { data, hole } of dataAndHoles(chunk, MIN_HOLE_BYTES)) {
          if (data === undefined) ops.hole(file, hole);
          else ops.write(file, data);
        }
        releaseBytes(chunk);
        writing = false;
      }
      writing = true;
      ops.close(file);
    } catch (error) {
      ops.discard(file);
      if (writing) this.#failure ??= error as Error;
      throw error;
    }
  }

  /** Nothing is left to wait for. @throws the first file system error met */
  finish(): Promise<void> {
    return this.#failure === null ? Promise.resolve() : Promise.reject(this.#failure);
  }

  /** Nothing to stop. */
  close(): void {}

  #throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure;
  }
}
