/**
 * Open user repositories, shared by every session of the same user (two pushes at once write
 * into one chunk store, so they deduplicate against each other and one flush covers both) and
 * closed when the last session lets go.
 *
 * @module
 */
import { type Logger, silentLogger, withFields } from "../log.ts";
import { userRepositoryDir } from "../repo/layout.ts";
import { PackChunkStore, WriteBudget } from "../repo/pack_chunk_store.ts";
import { UserRepository } from "../repo/user_repository.ts";

interface Entry {
  opening: Promise<UserRepository>;
  users: number;
}

/** Reference-counted `UserRepository` instances by user name. */
export class RepositoryRegistry {
  readonly #dataDir: string;
  readonly #open = new Map<string, Entry>();
  readonly #budget: WriteBudget;
  readonly #logger: Logger;

  /**
   * @param logger hears of damage found in a repository (with the user and the paths)
   * @param writeBudgetBytes blob bytes queued for the disk across all users before puts wait
   *   (default 32 MiB): the server's memory for writes does not grow with the number of pushes.
   */
  constructor(dataDir: string, logger: Logger = silentLogger, writeBudgetBytes = 32 * 1024 * 1024) {
    this.#dataDir = dataDir;
    this.#logger = logger;
    this.#budget = new WriteBudget(writeBudgetBytes);
  }

  /** The repository of `user`, opened on first use; pair every call with `release`. */
  acquire(user: string): Promise<UserRepository> {
    let entry = this.#open.get(user);
    if (entry === undefined) {
      const budget = this.#budget;
      const logger = withFields(this.#logger, { user });
      const opening = UserRepository.open(
        userRepositoryDir(this.#dataDir, user),
        (dir) => PackChunkStore.open(dir, { budget, logger }),
        logger,
      );
      entry = { opening, users: 0 };
      this.#open.set(user, entry);
      entry.opening.catch(() => this.#open.delete(user));
    }
    entry.users++;
    return entry.opening;
  }

  /** Lets go of `user`'s repository; the last release flushes and closes it. */
  async release(user: string): Promise<void> {
    const entry = this.#open.get(user);
    if (entry === undefined || --entry.users > 0) return;
    this.#open.delete(user);
    const repository = await entry.opening;
    await repository.close();
  }
}
