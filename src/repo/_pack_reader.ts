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

  read(offset: number, length: number): Promise<Uint8Array> {
    if (length <= SYNC_READ_MAX && this.#active === 0) {
      try {
        return Promise.resolve(this.#readSync(offset, length));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.#active++;
    const run = this.#queue.then(() => this.#readAsync(offset, length));
    this.#queue = run.finally(() => this.#active--).catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#file.close();
  }

  #readSync(offset: number, length: number): Uint8Array {
    const buffer = new Uint8Array(length);
    this.#file.seekSync(offset, Deno.SeekMode.Start);
    let filled = 0;
    while (filled < length) {
      const count = this.#file.readSync(buffer.subarray(filled));
      if (count === null || count === 0) break;
      filled += count;
    }
    return buffer.subarray(0, filled);
  }

  async #readAsync(offset: number, length: number): Promise<Uint8Array> {
    const buffer = new Uint8Array(length);
    await this.#file.seek(offset, Deno.SeekMode.Start);
    let filled = 0;
    while (filled < length) {
      const count = await this.#file.read(buffer.subarray(filled));
      if (count === null || count === 0) break;
      filled += count;
    }
    return buffer.subarray(0, filled);
  }
}

/** Open read handles by pack number, least recently used closed first. */
export class PackReaders {
  #handles = new Map<number, Promise<ReadHandle>>();

  /**
   * Reads `length` bytes at `offset` of pack `pack` (fewer at the end of the file), opening the
   * first of `paths` that exists.
   */
  async read(pack: number, paths: string[], offset: number, length: number): Promise<Uint8Array> {
    let handle = this.#handles.get(pack);
    if (handle === undefined) {
      handle = openFirst(paths);
      handle.catch(() => this.#handles.delete(pack));
      if (this.#handles.size >= MAX_HANDLES) this.#evictOldest();
    } else {
      this.#handles.delete(pack);
    }
    this.#handles.set(pack, handle);
    return (await handle).read(offset, length);
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
