/**
 * Reads a sparse file into the archive worker's window: its data through the file's own handle,
 * its holes (found by `FileHoles`) as zeros put into the window without reading them, so a 1 GiB
 * file holding 1 MiB of data costs 1 MiB of reads. The window ends up holding exactly the bytes
 * a plain read would give, so the chunks and their ids are the same.
 *
 * It remembers which bytes of the window came from holes (as file offsets), so the runner can
 * cut and name the chunks that lie in a hole without scanning or hashing them.
 *
 * @module
 */
import type { FileHoles } from "./_file_holes.ts";

/** What one fill put into the window. */
export interface SparseFill {
  /** Where the filled bytes end in the window. */
  end: number;
  /** Whether the file ends there. */
  eof: boolean;
  /** How many of the filled bytes are zeros from holes (not read). */
  holeBytes: number;
}

/** A sparse file read in order, window by window (see the module). */
export class SparseReader {
  readonly #file: Deno.FsFile;
  readonly #holes: FileHoles;
  /** Hole ranges put into the window and not yet passed: [start, end) file offsets, in order. */
  #spans: number[] = [];
  /** The offset of the file handle. */
  #position = 0;

  /** Reads `file` (at offset 0) with the help of `holes`, which it closes with itself. */
  constructor(file: Deno.FsFile, holes: FileHoles) {
    this.#file = file;
    this.#holes = holes;
  }

  /**
   * Fills `window` from index `from` with the file's bytes from `offset` on, until the window is
   * full or the file ends.
   *
   * @throws Deno's error when the file cannot be read, or an Error when its holes cannot be found
   */
  fill(window: Uint8Array, from: number, offset: number): SparseFill {
    let end = from;
    let holeBytes = 0;
    while (end < window.length) {
      const at = offset + end - from;
      const region = this.#holes.regionAt(at);
      if (region.end <= at) return { end, eof: true, holeBytes };
      const stop = Math.min(window.length, end + region.end - at);
      if (region.hole) {
        window.fill(0, end, stop);
        this.#addSpan(at, at + stop - end);
        holeBytes += stop - end;
        end = stop;
        continue;
      }
      if (this.#position !== at) this.#position = this.#file.seekSync(at, Deno.SeekMode.Start);
      while (end < stop) {
        const read = this.#file.readSync(window.subarray(end, stop));
        if (read === null) return { end, eof: true, holeBytes }; // it got shorter meanwhile
        end += read;
        this.#position += read;
      }
    }
    return { end, eof: false, holeBytes };
  }

  /** How many bytes from file offset `offset` on are known zeros (filled from a hole). */
  zerosAt(offset: number): number {
    const spans = this.#spans;
    let drop = 0;
    while (drop < spans.length && spans[drop + 1]! <= offset) drop += 2;
    if (drop > 0) spans.splice(0, drop);
    return spans.length > 0 && spans[0]! <= offset ? spans[1]! - offset : 0;
  }

  /** Closes the second descriptor (the file handle stays the caller's). */
  close(): void {
    this.#holes.close();
  }

  #addSpan(start: number, end: number): void {
    const spans = this.#spans;
    if (spans.length > 0 && spans[spans.length - 1] === start) spans[spans.length - 1] = end;
    else spans.push(start, end);
  }
}
