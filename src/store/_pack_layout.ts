/**
 * Where a pack store keeps its files, under its folder:
 * `packs/<first 2 hex>/<pack id>.pack` (`.pack.tmp` while written), `index/<pack id>.idx`,
 * `journal/<new pack id>.repack` (only while a delete rewrites packs).
 *
 * @module
 */
import { StoreError } from "../errors.ts";
import { toHex } from "../format/chunk_id.ts";
import { PACK_ID_BYTES } from "./_pack_format.ts";

/** A pack id in hex, as it appears in file names. */
export const PACK_NAME = /^[0-9a-f]{32}$/;

/** A fresh random pack id. */
export function newPackId(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(PACK_ID_BYTES));
}

/** The file paths of one pack of the store in `root`. */
export class PackPaths {
  /** Pack id in hex. */
  readonly name: string;
  /** Folder holding the pack file. */
  readonly dir: string;
  /** The sealed pack file. */
  readonly pack: string;
  /** The pack file while it is written. */
  readonly temp: string;
  /** The pack's index file. */
  readonly index: string;

  constructor(root: string, id: Uint8Array | string) {
    this.name = typeof id === "string" ? id : toHex(id);
    this.dir = `${root}/packs/${this.name.slice(0, 2)}`;
    this.pack = `${this.dir}/${this.name}.pack`;
    this.temp = `${this.pack}.tmp`;
    this.index = `${root}/index/${this.name}.idx`;
  }
}

/** The folder of index files. */
export function indexDir(root: string): string {
  return `${root}/index`;
}

/** The folder of pack sub-folders. */
export function packsDir(root: string): string {
  return `${root}/packs`;
}

/** The folder of repack journals. */
export function journalDir(root: string): string {
  return `${root}/journal`;
}

/** Removes `path`; a missing file is fine. */
export async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * A StoreError for a failed write while doing `action`: "Cannot store chunks: disk full" for
 * ENOSPC, else the OS's reason without the path it names (the message reaches clients; the
 * cause keeps the whole error for the server's log). StoreErrors pass through unchanged.
 */
export function storeFailure(action: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const full = (error as { code?: unknown } | null)?.code === "ENOSPC";
  const message = error instanceof Error ? error.message : String(error);
  const reason = full ? "disk full" : message.replace(/(\(os error \d+\)).*$/s, "$1");
  return new StoreError(`Cannot ${action}: ${reason}`, { cause: error });
}
