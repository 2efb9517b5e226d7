/**
 * Purging retired repositories (`postgres_retired.ts`): their objects first, wherever they are
 * (`RepositoryObjects`, S3 in practice), then all their rows in one transaction. A purge holds
 * the repository's lock exclusively (`PostgresGate.holdForRemoval`), so two processes never purge
 * one repository at once.
 *
 * Invariant: rows go only once the objects are deleted, and only when the objects were looked
 * for where the purge was decided (`purgeObjects`): a process configured with another store
 * skips the repository, so no object is left without the rows that lead to it.
 *
 * @module
 */
import { StoreError } from "../../errors.ts";
import type { PostgresLocks } from "./postgres_gate.ts";
import type { RetiredRepositories, RetiredRepository } from "./postgres_retired.ts";

/** Where the objects of repositories are, as this process is configured. */
export interface RepositoryObjects {
  /** Where the objects of the account `user` created at `created` are, e.g. `s3://B/P/U/S/`. */
  placeOf(user: string, created: string): string;
  /** Whether any object is there: a check that this process looks where the servers store. */
  holdsAny(user: string, created: string): Promise<boolean>;
  /** Deletes all of them (idempotent: run again, it deletes what is left). */
  removeAll(user: string, created: string): Promise<void>;
}

/**
 * Deletes the objects, then the rows, of the retired repository `repository`, which is to be
 * purged; the caller holds its lock.
 * @throws {StoreError} when its objects are elsewhere than `objects` reaches; nothing is deleted
 */
export async function purgeRetired(
  retired: RetiredRepositories,
  objects: RepositoryObjects,
  repository: RetiredRepository,
): Promise<void> {
  const { user, created, purgeObjects } = repository;
  const place = objects.placeOf(user, created);
  if (purgeObjects !== place) {
    throw new StoreError(
      `Cannot purge the backups of the removed account "${user}" (created ${created}): they are in ${
        purgeObjects ?? "(kept, not to be purged)"
      }, and this burrow's --store puts them in ${place}`,
    );
  }
  await objects.removeAll(user, created);
  await retired.deleteRows(repository.repo);
}

/**
 * Finishes every purge cut short (a retired repository to be purged) whose lock is free. Never
 * throws: each failure goes to `onFailure` and the sweep goes on.
 * @returns how many repositories it purged
 */
export async function sweepRetired(
  retired: RetiredRepositories,
  objects: RepositoryObjects,
  locks: PostgresLocks,
  onFailure: (repository: RetiredRepository | null, error: unknown) => void,
): Promise<number> {
  let leftovers: RetiredRepository[];
  try {
    leftovers = await retired.list({ purging: true });
  } catch (error) {
    onFailure(null, error);
    return 0;
  }
  let purged = 0;
  for (const repository of leftovers) {
    try {
      const leave = await locks.gate(repository.repo).holdForRemoval(0);
      if (leave === null) continue;
      try {
        await purgeRetired(retired, objects, repository);
        purged++;
      } finally {
        await leave();
      }
    } catch (error) {
      onFailure(repository, error);
    }
  }
  return purged;
}
