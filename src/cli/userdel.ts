/**
 * `burrow userdel NAME [--purge]`: removes an account, all or nothing, and moves its repository
 * out of reach of every login, so that a new account of the same name starts empty: kept as
 * DATA/repos/.removed-NAME-TIME, or with --purge deleted. It holds the user's repository lock
 * throughout, so it refuses (changing nothing) while a running server has that repository open.
 * The folder is renamed aside first, the account removed next (the folder goes back on failure),
 * and a purged folder deleted last; a delete cut short is finished by the next `serve` or
 * `userdel`. `--purge` fails, changing nothing, when there is no repository to delete. Where the
 * repositories are shared by several servers (PostgreSQL and S3), `_userdel_shared.ts` does it.
 *
 * @module
 */
import { BurrowError, errorMessage, NotFoundError, StoreError } from "../errors.ts";
import type { HeldLock } from "../exclusive_lock.ts";
import { userRepositoryDir } from "../store/layout.ts";
import { lockRepository } from "../store/repository_lock.ts";
import {
  keepRepositoryAside,
  moveRepositoryAside,
  moveRepositoryBack,
  sweepPurgedRepositories,
} from "../store/repository_purge.ts";
import type { UserStore } from "../users/user_store.ts";
import { validateUserName } from "../names.ts";
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import { openAdminStore } from "./admin_store.ts";
import { STORE_FLAGS } from "./config.ts";
import { CHUNK_STORE_FLAGS } from "./_serve_store.ts";
import { parseStoreSpec } from "../users/registry.ts";
import { printError, printLine } from "./output.ts";

/**
 * How long userdel waits for a server (on a shared service, every server) that is about to let go
 * of the user's repository.
 */
const LOCK_WAIT_MS = 1500;

/** Takes `name`'s repository lock. @throws {BurrowError} BUSY while the server uses it */
async function lockUser(dataDir: string, name: string): Promise<HeldLock> {
  const lock = await lockRepository(dataDir, name, LOCK_WAIT_MS);
  if (lock === null) {
    throw new BurrowError(
      "BUSY",
      `Cannot remove user "${name}": the server is using their repository (a client of theirs is connected); try again when it disconnects`,
    );
  }
  return lock;
}

/**
 * Moves the repository aside with `moveAside`, then removes the account; the folder goes back
 * when the account cannot be removed.
 * @returns where the repository went, or null when there was none
 */
async function removeAccount(
  store: UserStore,
  dataDir: string,
  name: string,
  moveAside: () => Promise<string | null>,
): Promise<string | null> {
  const aside = await moveAside();
  try {
    await store.remove(name);
  } catch (error) {
    if (aside !== null) await moveRepositoryBack(dataDir, name, aside);
    throw error;
  }
  return aside;
}

/** Removes the account and keeps its repository aside. @returns the line to print */
async function keep(store: UserStore, dataDir: string, name: string): Promise<string> {
  const aside = await removeAccount(store, dataDir, name, () => keepRepositoryAside(dataDir, name));
  return aside === null
    ? `user "${name}" removed; they had no backups in ${dataDir}/repos`
    : `user "${name}" removed; their backups were moved to ${aside} (no account can open them there; delete that folder to free the space)`;
}

/** Removes the account and deletes its repository. @returns the line to print */
async function purge(store: UserStore, dataDir: string, name: string): Promise<string> {
  const dir = userRepositoryDir(dataDir, name);
  const aside = await removeAccount(store, dataDir, name, async () => {
    const moved = await moveRepositoryAside(dataDir, name);
    if (moved === null) throw noRepository(name, dir);
    return moved;
  });
  try {
    await Deno.remove(aside!, { recursive: true });
  } catch (error) {
    throw new StoreError(
      `Cannot delete the backups of user "${name}": ${
        errorMessage(error)
      }; the account is removed, and the next serve or userdel deletes "${aside}"`,
      { cause: error },
    );
  }
  return `user "${name}" removed; their backups were deleted: ${dir}`;
}

function noRepository(name: string, dir: string): NotFoundError {
  return new NotFoundError(
    `Cannot purge user "${name}": there is no repository at "${dir}" (is this the server's --data? without --purge, userdel removes only the account)`,
  );
}

async function run(args: ParsedArgs): Promise<void> {
  const name = validateUserName(args.positionals[0] ?? "");
  const purging = booleanFlag(args, "purge");
  const admin = await openAdminStore(args, "refuse");
  const { dataDir, store } = admin;
  let done: string;
  try {
    const shared = parseStoreSpec(admin.usersSpec).scheme === "postgres" ||
        stringFlag(args, "store") !== undefined
      ? await (await import("./_userdel_shared.ts")).userdelShared(
        args,
        admin,
        name,
        purging,
        LOCK_WAIT_MS,
      )
      : null;
    if (shared !== null) {
      printLine(shared);
      return;
    }
    if (await store.get(name) === null) {
      throw new NotFoundError(`Cannot remove user "${name}": no such user`);
    }
    const dir = userRepositoryDir(dataDir, name);
    if (purging && !await Deno.lstat(dir).then(() => true, () => false)) {
      throw noRepository(name, dir);
    }
    const lock = await lockUser(dataDir, name);
    try {
      done = purging ? await purge(store, dataDir, name) : await keep(store, dataDir, name);
    } finally {
      lock.release();
    }
  } finally {
    await store.close();
  }
  await sweepPurgedRepositories(
    dataDir,
    (path, error) => printError(`warning: cannot delete ${path}: ${errorMessage(error)}`),
  );
  printLine(done);
}

/** The `userdel` command. */
export const userdelCommand: Command = {
  name: "userdel",
  usage: "userdel NAME [--data DIR] [--users STORE] [--purge] [--store s3://BUCKET/PREFIX ...]",
  description: "Removes the account NAME from the user store. Its backups are moved aside to\n" +
    "DATA/repos/.removed-NAME-TIME, where no account (a new one of that name included) can open\n" +
    "them, and stay there until you delete them; with --purge they are deleted, and userdel\n" +
    "fails, changing nothing, if there are none. Refuses, changing nothing, while a running\n" +
    "server uses the account's repository.\n" +
    "Where servers share their repositories (--users postgres://... and --store s3://...), the\n" +
    "account is removed and its repository retired in one transaction: no server opens it again.\n" +
    "Its backups are kept where they are, or with --purge (give the servers' --store,\n" +
    "--s3-endpoint and S3 credentials) deleted; userdel refuses, changing nothing, while a push\n" +
    "or prune of the user runs on any server. Once the account is gone, userdel NAME --purge\n" +
    "deletes what is kept of its earlier accounts and finishes a purge cut short.",
  examples: [
    "userdel alice                        # keeps her backups aside",
    "userdel alice --purge                # deletes them too",
    "userdel alice --purge --store s3://backups/burrow --s3-endpoint https://s3.example",
  ],
  flags: {
    ...STORE_FLAGS,
    purge: {
      type: "boolean",
      help: "Also delete the user's backups (from the data folder, or S3)",
    },
    ...CHUNK_STORE_FLAGS,
    store: {
      ...CHUNK_STORE_FLAGS.store,
      help: "The servers' S3 store, where --purge deletes a shared repository's packs " +
        "(credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
    },
  },
  positionals: { min: 1, max: 1 },
  run,
};
