/**
 * `burrow userdel` for a service whose repositories are shared (`--users postgres://…` whose
 * database holds them, packs on S3): the account is removed and its repository retired in one
 * transaction (`store/postgres/postgres_retired.ts`), so no server can open, push to or prune it
 * any more and a new account of the same name starts empty. Without --purge the repository is
 * kept whole where it is (its rows, its objects under `PREFIX/USER/STAMP/`); with --purge its
 * objects, then its rows, are deleted. Throughout, userdel holds the repository's advisory lock
 * exclusively, so it refuses, changing nothing, while a push or a prune of the user runs on any
 * server. A purge cut short is finished by the next `serve` start, or by `userdel NAME --purge`
 * (which, once the account is gone, deletes what is kept or left of its earlier accounts).
 *
 * @module
 */
import { BurrowError, errorMessage, NotFoundError, StoreError, UsageError } from "../errors.ts";
import { repositoryKey } from "../store/postgres/_repository_schema.ts";
import { type RetiredRepository, retireRepository } from "../store/postgres/postgres_retired.ts";
import {
  purgeRetired,
  type RepositoryObjects,
  sweepRetired,
} from "../store/postgres/retired_purge.ts";
import { repositoryPrefix } from "../store/s3/_s3_layout.ts";
import type { PostgresUserStore } from "../users/postgres_user_store.ts";
import { parseStoreSpec } from "../users/registry.ts";
import type { ParsedArgs } from "./command.ts";
import { processEnv } from "./config.ts";
import type { AdminStore } from "./admin_store.ts";
import { printError } from "./output.ts";
import { connectSharedRepositories, type SharedRepositories } from "./_serve_shared.ts";
import { connectS3RepositoryObjects, resolveChunkStore } from "./_serve_store.ts";

/** What the shared flow works with. */
interface Shared {
  name: string;
  store: PostgresUserStore;
  repositories: SharedRepositories;
  /** The S3 objects of the servers' --store, when it was given. */
  objects: RepositoryObjects | null;
  /** How long to wait for pushes and prunes of the user to end on every server. */
  lockWaitMs: number;
}

/**
 * Runs `userdel NAME [--purge]` on shared repositories, waiting up to `lockWaitMs` for the
 * user's pushes and prunes to end on every server.
 * @returns the line to print, or null when the user store holds no shared repositories (the
 *   local flow applies; nothing was changed)
 * @throws {UsageError} for --store without shared repositories, or --purge without --store
 * @throws {BurrowError} BUSY while a push or a prune of the user runs on a server
 */
export async function userdelShared(
  args: ParsedArgs,
  admin: AdminStore,
  name: string,
  purging: boolean,
  lockWaitMs: number,
): Promise<string | null> {
  const s3 = resolveChunkStore(args, processEnv);
  const postgres = parseStoreSpec(admin.usersSpec).scheme === "postgres";
  const repositories = postgres
    ? await connectSharedRepositories(admin.usersSpec, admin.password, { create: false })
    : null;
  if (repositories === null) {
    if (s3 === null) return null;
    throw new UsageError(
      "Cannot use --store with userdel: the user store holds no shared repositories (only a service with --users postgres://… keeps them there)",
    );
  }
  let connection: Awaited<ReturnType<typeof connectS3RepositoryObjects>> | null = null;
  try {
    if (s3 !== null) connection = await connectS3RepositoryObjects(s3);
    const shared: Shared = {
      name,
      store: admin.store as PostgresUserStore,
      repositories,
      objects: connection?.repositoryObjects ?? null,
      lockWaitMs,
    };
    const record = await admin.store.get(name);
    const done = record === null
      ? await purgeKept(shared, purging)
      : await removeAccount(shared, record.created, purging);
    if (shared.objects !== null) {
      await sweepRetired(
        repositories.retired,
        shared.objects,
        repositories.locks,
        (r, error) =>
          printError(
            `warning: cannot purge the backups of the removed account "${r?.user ?? "?"}": ${
              errorMessage(error)
            }`,
          ),
      );
    }
    return done;
  } finally {
    connection?.close();
    await repositories.close();
  }
}

/** The S3 objects, or the error for a purge without them. */
function objectsFor(shared: Shared): RepositoryObjects {
  if (shared.objects !== null) return shared.objects;
  throw new UsageError(
    `Cannot purge user "${shared.name}": their backups are on S3; give the servers' --store s3://…, --s3-endpoint and the S3 credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)`,
  );
}

/** Holds the repository `repo` exclusively. @throws {BurrowError} BUSY */
async function hold(shared: Shared, repo: string): Promise<() => Promise<void>> {
  const leave = await shared.repositories.locks.gate(repo).holdForRemoval(shared.lockWaitMs);
  if (leave === null) {
    throw new BurrowError(
      "BUSY",
      `Cannot remove user "${shared.name}": a push or prune of theirs is running on a server; try again when it is done`,
    );
  }
  return leave;
}

/** Removes the account created at `created`, retiring its repository. @returns the line to print */
async function removeAccount(shared: Shared, created: string, purging: boolean): Promise<string> {
  const { name } = shared;
  const repo = repositoryKey(name, created);
  const place = purging ? await checkedPlace(shared, created) : null;
  const leave = await hold(shared, repo);
  try {
    let retired: RetiredRepository | undefined;
    await shared.store.removeWith(name, created, async (tx) => {
      retired = await retireRepository(tx, name, created, place);
    });
    if (place === null) {
      return `user "${name}" removed; their backups are kept where no account can open them: repository "${repo}" in the database, packs under ${
        repositoryPrefix("", name, created)
      } of the servers' --store (burrow userdel ${name} --purge deletes them)`;
    }
    await purge(shared, retired!);
    return `user "${name}" removed; their backups were deleted: ${place}`;
  } finally {
    await leave();
  }
}

/**
 * Where the objects of the account created at `created` are, checked: where the database lists
 * packs, some object must be there, or the --store given is not the servers'.
 * @throws {StoreError} when none is; nothing is changed
 */
async function checkedPlace(shared: Shared, created: string): Promise<string> {
  const { name } = shared;
  const objects = objectsFor(shared);
  const place = objects.placeOf(name, created);
  const repo = repositoryKey(name, created);
  if (await shared.repositories.retired.hasPacks(repo) && !await objects.holdsAny(name, created)) {
    throw new StoreError(
      `Cannot purge the backups of user "${name}": the database lists packs of theirs, but there is no object in ${place}; give the servers' --store`,
    );
  }
  return place;
}

/** Deletes a retired repository's objects and rows. @throws {StoreError} saying what is left */
async function purge(shared: Shared, retired: RetiredRepository): Promise<void> {
  try {
    await purgeRetired(shared.repositories.retired, objectsFor(shared), retired);
  } catch (error) {
    throw new StoreError(
      `Cannot delete the backups of user "${shared.name}": ${
        errorMessage(error)
      }; the account is removed, and the next serve or userdel ${shared.name} --purge finishes the delete`,
      { cause: error },
    );
  }
}

/**
 * With no account of the name: deletes the repositories kept (or left half-purged) from its
 * earlier accounts. @returns the line to print
 * @throws {NotFoundError} when there are none, or without --purge
 */
async function purgeKept(shared: Shared, purging: boolean): Promise<string> {
  const { name, repositories } = shared;
  const kept = await repositories.retired.list({ user: name });
  if (kept.length === 0 || !purging) {
    const hint = kept.length === 0
      ? ""
      : ` (the backups of ${kept.length} removed account(s) of that name are kept; --purge deletes them)`;
    throw new NotFoundError(`Cannot remove user "${name}": no such user${hint}`);
  }
  objectsFor(shared);
  for (const retired of kept) {
    const leave = await hold(shared, retired.repo);
    try {
      let purgeObjects = retired.purgeObjects;
      if (purgeObjects === null) {
        purgeObjects = await checkedPlace(shared, retired.created);
        await repositories.retired.markPurge(retired.repo, purgeObjects);
      }
      await purge(shared, { ...retired, purgeObjects });
    } finally {
      await leave();
    }
  }
  return `deleted the kept backups of ${kept.length} removed account(s) "${name}"`;
}
