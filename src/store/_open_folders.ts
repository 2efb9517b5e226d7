/**
 * One pack store per folder per process. A second store opened on a folder while the first still
 * writes would sweep the first one's `.pack.tmp` files, index temp files and packs without an
 * index as crash leftovers, and an index could then name a deleted pack.
 *
 * Invariant: at most one claim per folder, keyed by the folder's real path (so a symlink or a
 * relative spelling of the same folder is the same folder). A claim lasts from the start of an
 * open until that store's close has finished (or the open failed). Claiming a folder whose store
 * is closing waits for the close; claiming one whose store is open and not closing fails.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { StoreError } from "../errors.ts";

/** A folder held by one store; give it back with `closing` (or `release` if the open failed). */
export interface FolderClaim {
  /** The store's close has started: the claim ends once `close` settles. */
  closing(close: Promise<unknown>): void;
  /** Ends the claim now (an open that failed). */
  release(): void;
}

interface Entry {
  /** Settles once the holder's close has finished; undefined while the holder is open. */
  closed: Promise<void> | undefined;
}

const claims = new Map<string, Entry>();

/**
 * Claims `dir` for one store of this process, waiting while a store of the same folder closes.
 * @throws {StoreError} when a store of this process has the folder open and is not closing
 */
export async function claimFolder(dir: string): Promise<FolderClaim> {
  const key = await realFolderPath(dir);
  for (;;) {
    const held = claims.get(key);
    if (held === undefined) break;
    if (held.closed === undefined) {
      throw new StoreError(
        `Cannot open chunk store "${dir}": a store of this process has the folder open`,
      );
    }
    await held.closed;
  }
  const entry: Entry = { closed: undefined };
  claims.set(key, entry);
  const release = () => {
    if (claims.get(key) === entry) claims.delete(key);
  };
  return {
    closing: (close) => {
      if (entry.closed !== undefined) return;
      entry.closed = close.then(release, release);
    },
    release,
  };
}

/**
 * The real path of `dir`; for a folder not made yet, the real path of its nearest existing
 * ancestor followed by the missing names.
 */
async function realFolderPath(dir: string): Promise<string> {
  const absolute = resolve(dir);
  try {
    return await Deno.realPath(absolute);
  } catch (error) {
    const parent = dirname(absolute);
    if (!(error instanceof Deno.errors.NotFound) || parent === absolute) throw error;
    return join(await realFolderPath(parent), basename(absolute));
  }
}
