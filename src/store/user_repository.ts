/**
 * One user's repository on the server: sealed chunks in a chunk store, sealed snapshot records,
 * and the master key wrapped by the user's password. Everything here is ciphertext the server
 * cannot read; this class only keeps it safe and consistent.
 *
 * Layout under DATA/repos/NAME/ (snapshot records and keys move to PostgreSQL with
 * `openRecords`, see `repository_records.ts`; a `shared` repository, whose records and chunks
 * are both elsewhere and keyed by the account, has no folder at all):
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
import { makeDirDurable, type SyncDir } from "../atomic_file.ts";
import { errorMessage } from "../errors.ts";
import { type Logger, silentLogger } from "../log.ts";
import { validateSnapshotId } from "../names.ts";
import type { ChunkStore } from "./chunk_store.ts";
import { PackChunkStore } from "./pack_chunk_store.ts";
import { FileRecords } from "./_file_records.ts";
import type { RepositoryRecords, SnapshotListing } from "./repository_records.ts";
import { claimRepository, type RepositoryAccount } from "./repository_owner.ts";
import { readUsage, type RepositoryUsage, writeUsage } from "./repository_usage.ts";
import { PruneGate, type ServiceGate } from "./prune_gate.ts";

export type { SnapshotListing, StoredSnapshot, UnreadableSnapshot } from "./repository_records.ts";

/**
 * Opens the chunk store of `account`'s repository, whose local place is the folder `dir` (a
 * store elsewhere, as on S3, keys it by the account instead); injectable for tests.
 */
export type ChunkStoreOpener = (dir: string, account: RepositoryAccount) => Promise<ChunkStore>;

/**
 * Opens the snapshot records and wrapped keys of `account`'s repository, whose local place is
 * the folder `dir` (records elsewhere, as in PostgreSQL, key them by the account instead).
 */
export type RecordsOpener = (
  dir: string,
  account: RepositoryAccount,
  logger: Logger,
) => Promise<RepositoryRecords>;

/** Options of `UserRepository.open`. */
export interface UserRepositoryOptions {
  /** Opens the chunk store in `chunks/` (default: a `PackChunkStore` with default options). */
  openChunks?: ChunkStoreOpener;
  /** Opens the snapshot records and keys (default: files in `snapshots/` and `keys/`). */
  openRecords?: RecordsOpener;
  /** The push/prune gate across servers, when several serve the repository. */
  serviceGate?: (account: RepositoryAccount) => ServiceGate;
  /**
   * The records and chunks are elsewhere, keyed by the account (several servers share them):
   * nothing is kept in `dir`, which is not even made. Their usage is then recorded where they
   * are (the stored bytes by the shared chunk index, the commit times by the records).
   */
  shared?: boolean;
  /** Hears of records that cannot be read, with their paths. */
  logger?: Logger;
  /** Fsyncs a folder into which a folder was made (default `syncDir`); tests record the calls. */
  syncDir?: SyncDir;
}

/** The server-side repository of one user. */
export class UserRepository {
  readonly #dir: string;
  /** Whether the repository has its folder, where its usage is recorded. */
  readonly #local: boolean;
  readonly #logger: Logger;
  /** The user's chunks. */
  readonly chunks: ChunkStore;
  /** The user's snapshot records and wrapped keys. */
  readonly records: RepositoryRecords;
  /** The usage last recorded in the folder, or null. */
  #usage: RepositoryUsage | null = null;
  /** Keeps pushes and prunes of this repository apart (`prune_gate.ts`). */
  readonly pruneGate: PruneGate = new PruneGate();
  /** Keeps pushes and prunes on other servers of the service apart, when there are any. */
  serviceGate: ServiceGate | undefined;

  private constructor(
    dir: string,
    chunks: ChunkStore,
    records: RepositoryRecords,
    logger: Logger,
    local: boolean,
  ) {
    this.#dir = dir;
    this.#local = local;
    this.chunks = chunks;
    this.records = records;
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
    const local = options.shared !== true;
    if (local) {
      await claimRepository(dir, account, { ...durable, logger: options.logger ?? silentLogger });
      for (const sub of ["snapshots", "keys"]) await makeDirDurable(`${dir}/${sub}`, durable);
    }
    const openChunks = options.openChunks ?? ((d) => PackChunkStore.open(d));
    const logger = options.logger ?? silentLogger;
    const openRecords = options.openRecords ??
      ((d: string, _account: RepositoryAccount, l: Logger) =>
        Promise.resolve(new FileRecords(d, l)));
    const records = await openRecords(dir, account, logger);
    const chunks = await openChunks(`${dir}/chunks`, account);
    const repository = new UserRepository(dir, chunks, records, logger, local);
    repository.serviceGate = options.serviceGate?.(account);
    if (local) {
      repository.#usage = await readUsage(dir);
      await repository.#recordUsage(repository.#usage?.lastPush ?? null);
    }
    return repository;
  }

  /** The wrapped master key for the password whose client KDF string is `kdf`, or null. */
  readKey(kdf: string): Promise<Uint8Array | null> {
    return this.records.readKey(kdf);
  }

  /**
   * Stores the wrapped master key for `kdf`. With `createNew`, a key already there is a
   * CONFLICT (two first pushes at once: the second must use the first one's key).
   */
  writeKey(kdf: string, wrapped: Uint8Array, options: { createNew: boolean }): Promise<void> {
    return this.records.writeKey(kdf, wrapped, options);
  }

  /** Removes the wrapped keys of every password but the one whose KDF string is `kdf`. */
  removeKeysExcept(kdf: string): Promise<void> {
    return this.records.removeKeysExcept(kdf);
  }

  /**
   * Every stored snapshot record, sorted by id. A record that cannot be read is listed in
   * `unreadable` (and logged) instead of failing the whole listing.
   */
  listSnapshots(): Promise<SnapshotListing> {
    return this.records.listSnapshots();
  }

  /**
   * Makes every chunk stored so far durable, then stores the snapshot record atomically.
   * @throws {BurrowError} CONFLICT when a snapshot with this id exists
   */
  async commitSnapshot(id: string, record: Uint8Array): Promise<void> {
    validateSnapshotId(id);
    await this.chunks.flush();
    await this.records.writeSnapshot(id, record);
    await this.#recordUsage(new Date().toISOString());
  }

  /**
   * Removes the snapshot records `ids`, each atomically (an unlink), after checking that every
   * one exists; the folder is fsynced once at the end. Their chunks stay until a prune.
   * @throws {NotFoundError} naming the first id that does not exist; nothing is removed then
   */
  forgetSnapshots(ids: readonly string[]): Promise<void> {
    return this.records.forgetSnapshots(ids);
  }

  /** Records the usage, then flushes and closes the chunk store. */
  async close(): Promise<void> {
    await this.#recordUsage(this.#usage?.lastPush ?? null);
    await this.chunks.close();
  }

  /**
   * Writes the usage file when it would change (a repository with a folder only). Bookkeeping only: a failure is logged, never
   * thrown, so it cannot fail a commit or a close.
   */
  async #recordUsage(lastPush: string | null): Promise<void> {
    if (!this.#local) return;
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
}
