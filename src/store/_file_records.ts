/**
 * Snapshot records and wrapped keys as files of the repository folder: `snapshots/ID`, written
 * atomically once and never replaced, and `keys/KDFHASH.key` (`layout.ts`). The folders exist
 * and are durable before a `FileRecords` is made (`UserRepository.open`).
 *
 * @module
 */
import { syncDir, writeFileAtomic } from "../atomic_file.ts";
import { BurrowError, errorMessage, NotFoundError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { validateSnapshotId } from "../names.ts";
import { keyFileName } from "./layout.ts";
import {
  KEY_EXISTS_MESSAGE,
  type RepositoryRecords,
  snapshotExistsMessage,
  type SnapshotListing,
  snapshotMissingMessage,
  type StoredSnapshot,
  type UnreadableSnapshot,
} from "./repository_records.ts";

/** The records of the repository in folder `dir`. */
export class FileRecords implements RepositoryRecords {
  readonly #dir: string;
  readonly #logger: Logger;

  /** Records in `dir`'s `snapshots/` and `keys/`; `logger` hears of unreadable records. */
  constructor(dir: string, logger: Logger) {
    this.#dir = dir;
    this.#logger = logger;
  }

  async readKey(kdf: string): Promise<Uint8Array | null> {
    try {
      return await Deno.readFile(this.#keyPath(kdf));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }

  async writeKey(kdf: string, wrapped: Uint8Array, options: { createNew: boolean }): Promise<void> {
    try {
      await writeFileAtomic(this.#keyPath(kdf), wrapped, { createNew: options.createNew });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      throw new BurrowError("CONFLICT", KEY_EXISTS_MESSAGE);
    }
  }

  async removeKeysExcept(kdf: string): Promise<void> {
    const keep = keyFileName(kdf);
    for await (const entry of Deno.readDir(`${this.#dir}/keys`)) {
      if (entry.isFile && entry.name !== keep) await Deno.remove(`${this.#dir}/keys/${entry.name}`);
    }
  }

  /** A record file that cannot be read is listed in `unreadable` and logged with its path. */
  async listSnapshots(): Promise<SnapshotListing> {
    const snapshots: StoredSnapshot[] = [];
    const unreadable: UnreadableSnapshot[] = [];
    for await (const entry of Deno.readDir(`${this.#dir}/snapshots`)) {
      if (!entry.isFile || !SNAPSHOT_FILE.test(entry.name)) continue;
      try {
        snapshots.push({ id: entry.name, record: await this.#readSnapshot(entry.name) });
      } catch (error) {
        if (error instanceof NotFoundError) continue; // removed since it was listed
        this.#logger.error("cannot read snapshot record", {
          path: `${this.#dir}/snapshots/${entry.name}`,
          error: errorMessage(error),
        });
        unreadable.push({ id: entry.name, reason: "its record file cannot be read" });
      }
    }
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    return { snapshots: snapshots.sort(byId), unreadable: unreadable.sort(byId) };
  }

  async writeSnapshot(id: string, record: Uint8Array): Promise<void> {
    validateSnapshotId(id);
    try {
      await writeFileAtomic(`${this.#dir}/snapshots/${id}`, record, { createNew: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      throw new BurrowError("CONFLICT", snapshotExistsMessage(id));
    }
  }

  /** Each removal is an unlink; the folder is fsynced once at the end. */
  async forgetSnapshots(ids: readonly string[]): Promise<void> {
    const paths = ids.map((id) => `${this.#dir}/snapshots/${validateSnapshotId(id)}`);
    for (const [i, path] of paths.entries()) {
      try {
        await Deno.lstat(path);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
        throw new NotFoundError(snapshotMissingMessage(ids[i]!));
      }
    }
    for (const path of paths) {
      await Deno.remove(path).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    }
    await syncDir(`${this.#dir}/snapshots`);
  }

  async #readSnapshot(id: string): Promise<Uint8Array> {
    try {
      return await Deno.readFile(`${this.#dir}/snapshots/${validateSnapshotId(id)}`);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new NotFoundError(`Cannot find snapshot ${id}`);
      }
      throw error;
    }
  }

  #keyPath(kdf: string): string {
    return `${this.#dir}/keys/${keyFileName(kdf)}`;
  }
}

const SNAPSHOT_FILE = /^[0-9a-f]{16}$/;
