/**
 * One user's repository on the server: sealed chunks in a chunk store, sealed snapshot records,
 * and the master key wrapped by the user's password. Everything here is ciphertext the server
 * cannot read; this class only keeps it safe and consistent.
 *
 * Layout under DATA/repos/NAME/:
 *   account              the account the repository belongs to (`repository_owner.ts`)
 *   chunks/              the chunk store (packs and their indexes)
 *   snapshots/ID         sealed snapshot records, written atomically once, never replaced
 *   keys/KDFHASH.key     the master key wrapped by the key-encryption key of the password whose
 *                        client KDF string hashes to KDFHASH; the user store's current KDF picks
 *                        the live one, so a password change commits at the user-store update
 *   usage                stored bytes and the last push, for `burrow users` (`repository_usage.ts`)
 *
 * Invariant: a snapshot record is written only after the chunk store's flush resolved, so every
 * chunk a committed snapshot names is durable.
 *
 * @module
 */
import { makeDirDurable, type SyncDir, syncDir, writeFileAtomic } from "../atomic_file.ts";
import { BurrowError, errorMessage, NotFoundError } from "../errors.ts";
import { type Logger, silentLogger } from "../log.ts";
import { validateSnapshotId } from "../names.ts";
import type { ChunkStore } from "./chunk_store.ts";
import { PackChunkStore } from "./pack_chunk_store.ts";
import { keyFileName } from "./layout.ts";
import { claimRepository, type RepositoryAccount } from "./repository_owner.ts";
import { readUsage, type RepositoryUsage, writeUsage } from "./repository_usage.ts";
import { PruneGate } from "./prune_gate.ts";

/** A sealed snapshot record as the server keeps it. */
export interface StoredSnapshot {
  id: string;
  record: Uint8Array;
}

/** A snapshot whose record file could not be read, and why (no paths: the client sees it). */
export interface UnreadableSnapshot {
  id: string;
  reason: string;
}

/** Every snapshot record of a repository: those read, and those that could not be. */
export interface SnapshotListing {
  snapshots: StoredSnapshot[];
  unreadable: UnreadableSnapshot[];
}

/**
 * Opens the chunk store of `account`'s repository, whose local place is the folder `dir` (a
 * store elsewhere, as on S3, keys it by the account instead); injectable for tests.
 */
export type ChunkStoreOpener = (dir: string, account: RepositoryAccount) => Promise<ChunkStore>;

/** Options of `UserRepository.open`. */
export interface UserRepositoryOptions {
  /** Opens the chunk store in `chunks/` (default: a `PackChunkStore` with default options). */
  openChunks?: ChunkStoreOpener;
  /** Hears of records that cannot be read, with their paths. */
  logger?: Logger;
  /** Fsyncs a folder into which a folder was made (default `syncDir`); tests record the calls. */
  syncDir?: SyncDir;
}

/** The server-side repository of one user. */
export class UserRepository {
  readonly #dir: string;
  readonly #logger: Logger;
  /** The user's chunks. */
  readonly chunks: ChunkStore;
  /** The usage last recorded in the folder, or null. */
  #usage: RepositoryUsage | null = null;
  /** Keeps pushes and prunes of this repository apart (`prune_gate.ts`). */
  readonly pruneGate: PruneGate = new PruneGate();

  private constructor(dir: string, chunks: ChunkStore, logger: Logger) {
    this.#dir = dir;
    this.chunks = chunks;
    this.#logger = logger;
  }

  /**
   * Opens (and creates when missing) the repository of `account` in `dir`. Every folder it makes
   * (the repository's, its parents, `snapshots/`, `keys/`) is fsynced into its parent before the
   * repository is used: losing the `keys/` entry in a crash would lose every backup.
   *
   * @throws {BurrowError} CONFLICT when the folder belongs to an earlier account of the same
   *   name (`claimRepository`); nothing in it is changed
   */
  static async open(
    dir: string,
    account: RepositoryAccount,
    options: UserRepositoryOptions = {},
  ): Promise<UserRepository> {
    const durable = options.syncDir === undefined ? {} : { syncDir: options.syncDir };
    await claimRepository(dir, account, { ...durable, logger: options.logger ?? silentLogger });
    for (const sub of ["snapshots", "keys"]) await makeDirDurable(`${dir}/${sub}`, durable);
    const openChunks = options.openChunks ?? ((d) => PackChunkStore.open(d));
    const chunks = await openChunks(`${dir}/chunks`, account);
    const repository = new UserRepository(dir, chunks, options.logger ?? silentLogger);
    repository.#usage = await readUsage(dir);
    await repository.#recordUsage(repository.#usage?.lastPush ?? null);
    return repository;
  }

  /** The wrapped master key for the password whose client KDF string is `kdf`, or null. */
  async readKey(kdf: string): Promise<Uint8Array | null> {
    try {
      return await Deno.readFile(this.#keyPath(kdf));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }

  /**
   * Stores the wrapped master key for `kdf`. With `createNew`, a key already there is a
   * CONFLICT (two first pushes at once: the second must use the first one's key).
   */
  async writeKey(kdf: string, wrapped: Uint8Array, options: { createNew: boolean }): Promise<void> {
    try {
      await writeFileAtomic(this.#keyPath(kdf), wrapped, { createNew: options.createNew });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      throw new BurrowError(
        "CONFLICT",
        "Cannot store the repository key: the user has one already",
      );
    }
  }

  /** Removes the wrapped keys of every password but the one whose KDF string is `kdf`. */
  async removeKeysExcept(kdf: string): Promise<void> {
    const keep = keyFileName(kdf);
    for await (const entry of Deno.readDir(`${this.#dir}/keys`)) {
      if (entry.isFile && entry.name !== keep) await Deno.remove(`${this.#dir}/keys/${entry.name}`);
    }
  }

  /**
   * Every stored snapshot record, sorted by id. A record file that cannot be read is listed in
   * `unreadable` (and logged with its path) instead of failing the whole listing.
   */
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

  /**
   * Makes every chunk stored so far durable, then stores the snapshot record atomically.
   * @throws {BurrowError} CONFLICT when a snapshot with this id exists
   */
  async commitSnapshot(id: string, record: Uint8Array): Promise<void> {
    validateSnapshotId(id);
    await this.chunks.flush();
    try {
      await writeFileAtomic(`${this.#dir}/snapshots/${id}`, record, { createNew: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      throw new BurrowError("CONFLICT", `Cannot commit snapshot ${id}: it exists`);
    }
    await this.#recordUsage(new Date().toISOString());
  }

  /**
   * Removes the snapshot records `ids`, each atomically (an unlink), after checking that every
   * one exists; the folder is fsynced once at the end. Their chunks stay until a prune.
   * @throws {NotFoundError} naming the first id that does not exist; nothing is removed then
   */
  async forgetSnapshots(ids: readonly string[]): Promise<void> {
    const paths = ids.map((id) => `${this.#dir}/snapshots/${validateSnapshotId(id)}`);
    for (const [i, path] of paths.entries()) {
      try {
        await Deno.lstat(path);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
        throw new NotFoundError(`Cannot forget snapshot ${ids[i]}: it does not exist`);
      }
    }
    for (const path of paths) {
      await Deno.remove(path).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    }
    await syncDir(`${this.#dir}/snapshots`);
  }

  /** Records the usage, then flushes and closes the chunk store. */
  async close(): Promise<void> {
    await this.#recordUsage(this.#usage?.lastPush ?? null);
    await this.chunks.close();
  }

  /**
   * Writes the usage file when it would change. Bookkeeping only: a failure is logged, never
   * thrown, so it cannot fail a commit or a close.
   */
  async #recordUsage(lastPush: string | null): Promise<void> {
    const usage = { storedBytes: this.chunks.storedBytes, lastPush };
    if (this.#usage?.storedBytes === usage.storedBytes && this.#usage.lastPush === lastPush) return;
    try {
      await writeUsage(this.#dir, usage);
      this.#usage = usage;
    } catch (error) {
      this.#logger.warn("cannot record repository usage", {
        path: this.#dir,
        error: errorMessage(error),
      });
    }
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
