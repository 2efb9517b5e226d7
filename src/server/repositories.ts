/**
 * Open user repositories, shared by every session of the same user (two pushes at once write
 * into one chunk store, so they deduplicate against each other and one flush covers both) and
 * closed when the last session lets go.
 *
 * Invariants: while a user's repository is open here, this server holds that user's repository
 * lock (`store/repository_lock.ts`), taken before opening and dropped after closing, so an admin
 * command (`userdel`) never changes an account or a repository the server is using, and the
 * server never opens one while such a command runs. A repository is opened (and created) only for
 * the very account that logged in (same name and creation time) once the lock is held, and only
 * when the repository belongs to that account (`store/repository_owner.ts`): a session that
 * outlived its account, or a new account of a reused name, never reaches an earlier account's
 * data. One user's repository is never open twice: an open waits until the previous close of the
 * same repository has finished.
 *
 * @module
 */
import type { SyncDir } from "../atomic_file.ts";
import { BurrowError, NotFoundError } from "../errors.ts";
import type { HeldLock } from "../exclusive_lock.ts";
import { type Logger, silentLogger, withFields } from "../log.ts";
import { userRepositoryDir } from "../store/layout.ts";
import { PackChunkStore, WriteBudget } from "../store/pack_chunk_store.ts";
import { lockRepository } from "../store/repository_lock.ts";
import { readUsage } from "../store/repository_usage.ts";
import type { RepositoryAccount } from "../store/repository_owner.ts";
import type { ServiceGate } from "../store/prune_gate.ts";
import {
  type ChunkStoreOpener,
  type RecordsOpener,
  UserRepository,
} from "../store/user_repository.ts";

/** A logged-in account: its name and creation time, which tell two accounts of a name apart. */
export interface SessionAccount {
  user: string;
  created: string;
}

/** What the user store holds for an account now. */
export interface CurrentAccount {
  created: string;
  /** Its client KDF string: it names the key file of the current password. */
  kdf: string;
}

/** Options of a `RepositoryRegistry`. */
export interface RepositoryRegistryOptions {
  /**
   * The account `name` has now, or null when there is none (asked of the user store after the
   * lock is taken: the account of a logged-in session may have been removed, or replaced by a new
   * one of the same name, since its login).
   */
  account: (name: string) => Promise<CurrentAccount | null>;
  /**
   * Blob bytes queued for the disk across all users before puts wait (default 32 MiB): the
   * server's memory for writes does not grow with the number of pushes.
   */
  writeBudgetBytes?: number;
  /** How long an open waits for an admin command holding the user's lock (default 5000 ms). */
  lockWaitMs?: number;
  /** Opens each repository's chunk store (default: a `PackChunkStore` under the write budget). */
  openChunks?: ChunkStoreOpener;
  /** Opens each repository's snapshot records and keys (default: files in its folder). */
  openRecords?: RecordsOpener;
  /** The push/prune gate of each repository across the servers of a service. */
  serviceGate?: (account: RepositoryAccount) => ServiceGate;
  /**
   * Records and chunks are shared with other servers (`UserRepository` `shared`): no repository
   * folder is made here, and `storedBytesOf` knows only the repositories open here.
   */
  shared?: boolean;
  /** Hears of damage found in a repository, with the user and the paths. */
  logger?: Logger;
  /** Fsyncs a folder into which a folder was made (default `syncDir`); tests record the calls. */
  syncDir?: SyncDir;
}

interface Opened {
  repository: UserRepository;
  lock: HeldLock;
  /** The creation time of the account it was opened for. */
  created: string;
}

interface Entry {
  opening: Promise<Opened>;
  /** Set once `opening` resolved. */
  opened?: Opened;
  users: number;
}

/** Reference-counted `UserRepository` instances by user name. */
export class RepositoryRegistry {
  readonly #dataDir: string;
  readonly #open = new Map<string, Entry>();
  /** The close in progress of each user's last entry: the next open waits for it. */
  readonly #closing = new Map<string, Promise<void>>();
  readonly #budget: WriteBudget;
  readonly #openChunks: ChunkStoreOpener | undefined;
  readonly #shared: Pick<RepositoryRegistryOptions, "openRecords" | "serviceGate">;
  readonly #sharedRepositories: boolean;
  readonly #account: (name: string) => Promise<CurrentAccount | null>;
  readonly #lockWaitMs: number;
  readonly #logger: Logger;
  readonly #durable: { syncDir?: SyncDir };

  constructor(dataDir: string, options: RepositoryRegistryOptions) {
    this.#dataDir = dataDir;
    this.#budget = new WriteBudget(options.writeBudgetBytes ?? 32 * 1024 * 1024);
    this.#openChunks = options.openChunks;
    this.#shared = {
      ...(options.openRecords === undefined ? {} : { openRecords: options.openRecords }),
      ...(options.serviceGate === undefined ? {} : { serviceGate: options.serviceGate }),
    };
    this.#sharedRepositories = options.shared === true;
    this.#account = options.account;
    this.#lockWaitMs = options.lockWaitMs ?? 5000;
    this.#logger = options.logger ?? silentLogger;
    this.#durable = options.syncDir === undefined ? {} : { syncDir: options.syncDir };
  }

  /**
   * The repository of the logged-in `account`, opened on first use. Pair every call that
   * resolves with one `release(account.user)`; a call that rejects holds nothing.
   *
   * @throws {BurrowError} BUSY when an admin command kept the user's lock for the whole wait
   * @throws {NotFoundError} when the account does not exist (any more), or is not the one that
   *   logged in
   * @throws {BurrowError} CONFLICT when the repository belongs to an earlier account of the name
   */
  async acquire(account: SessionAccount): Promise<UserRepository> {
    const { user } = account;
    let entry = this.#open.get(user);
    if (entry === undefined) {
      const made: Entry = { opening: this.#openLocked(account), users: 0 };
      made.opening.then((opened) => (made.opened = opened), () => {});
      this.#open.set(user, made);
      made.opening.catch(() => {
        if (this.#open.get(user) === made) this.#open.delete(user);
      });
      entry = made;
    }
    entry.users++;
    try {
      const opened = await entry.opening;
      if (opened.created !== account.created) throw accountGone(user);
      return opened.repository;
    } catch (error) {
      // An entry opened for another account of the name has that account's sessions as users
      // too, so this never drops the count of an open entry to zero.
      entry.users--;
      throw error;
    }
  }

  /** Lets go of `user`'s repository; the last release flushes and closes it, then unlocks. */
  async release(user: string): Promise<void> {
    const entry = this.#open.get(user);
    if (entry === undefined || --entry.users > 0) return;
    this.#open.delete(user);
    const closing = (async () => {
      const { repository, lock } = await entry.opening;
      try {
        await repository.close();
      } finally {
        lock.release();
      }
    })();
    const settled = closing.catch(() => {});
    this.#closing.set(user, settled);
    settled.then(() => {
      if (this.#closing.get(user) === settled) this.#closing.delete(user);
    });
    await closing;
  }

  /**
   * Bytes of sealed chunks `user` stores: the live figure while the repository is open here, else
   * the one its folder recorded (`store/repository_usage.ts`); null when none is recorded, or
   * for a shared repository not open here (its figure is in the shared database).
   */
  async storedBytesOf(user: string): Promise<number | null> {
    const opened = this.#open.get(user)?.opened;
    if (opened !== undefined) return opened.repository.chunks.storedBytes;
    if (this.#sharedRepositories) return null;
    return (await readUsage(userRepositoryDir(this.#dataDir, user)))?.storedBytes ?? null;
  }

  /** Takes the user's lock, checks the account, then opens (creating it when missing). */
  async #openLocked({ user, created }: SessionAccount): Promise<Opened> {
    await this.#closing.get(user);
    const lock = await lockRepository(this.#dataDir, user, this.#lockWaitMs, this.#durable);
    if (lock === null) {
      throw new BurrowError(
        "BUSY",
        "Cannot open your repository: an administrator is changing your account; try again later",
      );
    }
    try {
      const current = await this.#account(user);
      if (current === null || current.created !== created) throw accountGone(user);
      const dir = userRepositoryDir(this.#dataDir, user);
      const logger = withFields(this.#logger, { user });
      const budget = this.#budget;
      const openChunks = this.#openChunks ?? ((d) => PackChunkStore.open(d, { budget, logger }));
      const repository = await UserRepository.open(
        dir,
        { user, created, kdf: current.kdf },
        {
          openChunks,
          logger,
          ...this.#shared,
          ...this.#durable,
          ...(this.#sharedRepositories ? { shared: true } : {}),
        },
      );
      return { repository, lock, created };
    } catch (error) {
      lock.release();
      throw error;
    }
  }
}

/** The error for a session whose account was removed (or replaced) since it logged in. */
function accountGone(user: string): NotFoundError {
  return new NotFoundError(
    `Cannot open your repository: the account "${user}" you logged in with was removed`,
  );
}
