/**
 * `burrow userdel NAME [--purge]`: removes an account, and with --purge its backups, all or
 * nothing. It holds the user's repository lock throughout, so it refuses (changing nothing) while
 * a running server has that user's repository open. With --purge the repository folder is renamed
 * aside first, the account removed next (the folder goes back on failure), and the renamed folder
 * deleted last; a delete cut short leaves it for the next `serve` or `userdel` to finish.
 *
 * @module
 */
import { BurrowError, errorMessage, StoreError } from "../errors.ts";
import type { HeldLock } from "../exclusive_lock.ts";
import { userRepositoryDir } from "../store/layout.ts";
import { lockRepository } from "../store/repository_lock.ts";
import {
  moveRepositoryAside,
  moveRepositoryBack,
  sweepPurgedRepositories,
} from "../store/repository_purge.ts";
import { openUserStore } from "../users/registry.ts";
import type { UserStore } from "../users/user_store.ts";
import { validateUserName } from "../names.ts";
import { booleanFlag, type Command, type ParsedArgs } from "./command.ts";
import { processEnv, resolveStoreLocation, STORE_FLAGS } from "./config.ts";
import { printError, printLine } from "./output.ts";

/** How long userdel waits for a server that is about to let go of the user's repository. */
const LOCK_WAIT_MS = 1500;

/**
 * Takes `name`'s repository lock, or null when the data folder does not exist (then no server
 * runs on it). @throws {BurrowError} BUSY while the server uses the repository
 */
async function lockUser(dataDir: string, name: string): Promise<HeldLock | null> {
  let lock: HeldLock | null;
  try {
    lock = await lockRepository(dataDir, name, LOCK_WAIT_MS);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  if (lock === null) {
    throw new BurrowError(
      "BUSY",
      `Cannot remove user "${name}": the server is using their repository (a client of theirs is connected); try again when it disconnects`,
    );
  }
  return lock;
}

/** Removes the account and its repository folder; the account stays when the folder cannot move. */
async function purge(store: UserStore, dataDir: string, name: string): Promise<void> {
  const aside = await moveRepositoryAside(dataDir, name);
  try {
    await store.remove(name);
  } catch (error) {
    if (aside !== null) await moveRepositoryBack(dataDir, name, aside);
    throw error;
  }
  if (aside === null) return;
  try {
    await Deno.remove(aside, { recursive: true });
  } catch (error) {
    throw new StoreError(
      `Cannot delete the backups of user "${name}": ${
        errorMessage(error)
      }; the account is removed, and the next serve or userdel deletes "${aside}"`,
      { cause: error },
    );
  }
}

async function run(args: ParsedArgs): Promise<void> {
  const name = validateUserName(args.positionals[0] ?? "");
  const { dataDir, usersSpec } = resolveStoreLocation(args, processEnv);
  const purging = booleanFlag(args, "purge");
  const store = await openUserStore(usersSpec);
  try {
    const lock = await lockUser(dataDir, name);
    try {
      if (purging) await purge(store, dataDir, name);
      else await store.remove(name);
    } finally {
      lock?.release();
    }
  } finally {
    await store.close();
  }
  await sweepPurgedRepositories(
    dataDir,
    (path, error) => printError(`warning: cannot delete ${path}: ${errorMessage(error)}`),
  );
  if (purging) printLine(`user "${name}" removed with their backups`);
  else {
    const repoDir = userRepositoryDir(dataDir, name);
    printLine(`user "${name}" removed; their backups stay in ${repoDir} (use --purge to delete)`);
  }
}

/** The `userdel` command. */
export const userdelCommand: Command = {
  name: "userdel",
  summary: "Remove an account (and with --purge its backups)",
  usage: "userdel NAME [--data DIR] [--users STORE] [--purge]",
  description:
    "Removes the account NAME from the user store. Its backups are kept unless --purge.\n" +
    "Refuses, changing nothing, while a running server uses the account's repository.",
  examples: [
    "userdel alice                        # keeps her backups",
    "userdel alice --purge                # deletes them too",
  ],
  flags: {
    ...STORE_FLAGS,
    purge: { type: "boolean", help: "Also delete the user's backups from the data folder" },
  },
  positionals: { min: 1, max: 1 },
  run,
};
