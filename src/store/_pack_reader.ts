/**
 * Reads records from pack files through a small cache of open handles. Small reads use the sync
 * calls (about 10× cheaper than an async call here, and a page-cache hit takes microseconds);
 * large ones use async calls, one at a time per handle since they share its position.
 *
 * @module
 */

/** Reads up to this many bytes with sync calls. */
const SYNC_READ_MAX = 256 * 1024;
/** Open handles kept. */
const MAX_HANDLES = 32;

class ReadHandle {
  readonly #file: Deno.FsFile;
  #queue: Promise<unknown> = Promise.resolve();
  #active = 0;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Fills `targets` in turn from `offset`; resolves to the bytes read (fewer at end of file). */
  read(offset: number, targets: readonly Uint8Array[]): Promise<number> {
    const length = targets.reduce((sum, target) => sum + target.length, 0);
    if (length <= SYNC_READ_MAX && this.#active === 0) {
      try {
        return Promise.resolve(this.#readSync(offset, targets));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.#active++;
    const run = this.#queue.then(() => this.#readAsync(offset, targets));
    this.#queue = run.finally(() => this.#active--).catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#file.close();
  }

  #readSync(offset: number, targets: readonly Uint8Array[]): number {
    this.#file.seekSync(offset, Deno.SeekMode.Start);
    let total = 0;
    for (const target of targets) {
      let filled = 0;
      while (filled < target.length) {
        const count = this.#file.readSync(target.subarray(filled));
        if (count === null || count === 0) return total + filled;
        filled += count;
      }
      total += filled;
    }
    return total;
  }

  async #readAsync(offset: number, targets: readonly Uint8Array[]): Promise<number> {
    await this.#file.seek(offset, Deno.SeekMode.Start);
    let total = 0;
    for (const target of targets) {
      let filled = 0;
      while (filled < target.length) {
        const count = await this.#file.read(target.subarray(filled));
        if (count === null || count === 0) return total + filled;
        filled += count;
      }
      total += filled;
    }
    return total;
  }
}

/** Open read handles by pack number, least recently used closed first. */
export class PackReaders {
  #handles = new Map<number, Promise<ReadHandle>>();

  /**
   * Fills `targets` in turn with the bytes at `offset` of pack `pack`, opening the first of
   * `paths` that exists; resolves to the bytes read (fewer at the end of the file).
   */
  async read(
    pack: number,
    paths: string[],
    offset: number,
    targets: readonly Uint8Array[],
  ): Promise<number> {
    let handle = this.#handles.get(pack);
    if (handle === undefined) {
      handle = openFirst(paths);
      handle.catch(() => this.#handles.delete(pack));
      if (this.#handles.size >= MAX_HANDLES) this.#evictOldest();
    } else {
      this.#handles.delete(pack);
    }
    this.#handles.set(pack, handle);
    return (await handle).read(offset, targets);
  }

  /** Closes the handle of `pack`, after its reads in flight. */
  async drop(pack: number): Promise<void> {
    const handle = this.#handles.get(pack);
    this.#handles.delete(pack);
    if (handle !== undefined) await closeHandle(handle);
  }

  /** Closes every handle. */
  async closeAll(): Promise<void> {
    const handles = [...this.#handles.values()];
    this.#handles.clear();
    await Promise.all(handles.map(closeHandle));
  }

  #evictOldest(): void {
    const [oldest, handle] = this.#handles.entries().next().value ?? [];
    if (oldest === undefined || handle === undefined) return;
    this.#handles.delete(oldest);
    closeHandle(handle).catch(() => {});
  }
}

async function closeHandle(handle: Promise<ReadHandle>): Promise<void> {
  const opened = await handle.catch(() => undefined);
  await opened?.close();
}

async function openFirst(paths: string[]): Promise<ReadHandle> {
  let last: unknown = new Deno.errors.NotFound("no path to open");
  for (const path of paths) {
    try {
      return new ReadHandle(await Deno.open(path, { read: true }));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      last = error;
    }
  }
  throw last;
}
