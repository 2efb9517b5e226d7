/**
 * What the admin commands (`useradd`, `userdel`, `users`) work on: the data folder and user store
 * of `--data`/`--users` (else BURROW_DATA/BURROW_USERS, else the defaults), made absolute, checked
 * to exist, opened, and named on stderr before anything is done. Nothing is created unless the
 * command was asked to (`useradd --init`): `serve` makes both on its first start, so a command run
 * from the wrong folder, or with the wrong `--data` or `--users`, fails and changes nothing.
 *
 * @module
 */
import { resolve } from "node:path";
import { makeDirDurable } from "../atomic_file.ts";
import { ConfigError, NotFoundError } from "../errors.ts";
import { absoluteStoreSpec, describeStoreSpec, openUserStore } from "../users/registry.ts";
import type { UserStore } from "../users/user_store.ts";
import type { ParsedArgs } from "./command.ts";
import { processEnv, resolveStoreLocation } from "./config.ts";
import { printError } from "./output.ts";
import { resolveUsersPassword } from "./_users_password.ts";

/** The data folder and user store an admin command works on, the store open. */
export interface AdminStore {
  /** The data folder, absolute. */
  dataDir: string;
  /** The STORE string, its path absolute; it may hold a password: show `describeStoreSpec`. */
  usersSpec: string;
  /** The database password given apart from the STORE string (`resolveUsersPassword`). */
  password: string | undefined;
  store: UserStore;
}

/**
 * How the command treats a data folder or store that does not exist: create it (`--init` was
 * given), refuse and suggest `--init` (the command has that flag), or refuse.
 */
export type MissingStore = "create" | "suggest-init" | "refuse";

/**
 * Resolves, checks and opens the command's data folder and user store, then prints which ones
 * it uses on stderr.
 * @throws {ConfigError} when either does not exist (and `missing` is not "create"), or the data
 *   folder is a file; nothing is created
 * @throws {StoreError} when the store cannot be opened
 */
export async function openAdminStore(
  args: ParsedArgs,
  missing: MissingStore,
): Promise<AdminStore> {
  const location = resolveStoreLocation(args, processEnv);
  const dataDir = resolve(location.dataDir);
  const usersSpec = absoluteStoreSpec(location.usersSpec);
  const shown = describeStoreSpec(usersSpec);
  const password = await resolveUsersPassword(args, processEnv, usersSpec);
  const initHint = missing === "suggest-init" ? ", or add --init to create it" : "";
  await checkDataDir(dataDir, missing === "create", initHint);
  let store: UserStore;
  try {
    store = await openUserStore(usersSpec, {
      create: missing === "create",
      ...(password === undefined ? {} : { password }),
    });
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    throw new ConfigError(
      `Cannot open user store "${shown}": it does not exist (give the server's --users STORE${initHint})`,
      { cause: error },
    );
  }
  printError(`using data folder "${dataDir}", user store "${shown}"`);
  return { dataDir, usersSpec, password, store };
}

/** Checks that `dataDir` is a folder, making it when `create`. @throws {ConfigError} */
async function checkDataDir(dataDir: string, create: boolean, initHint: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dataDir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    if (create) {
      await makeDirDurable(dataDir);
      return;
    }
    const hint = initHint === "" ? "or give the server's --data" : "give the server's --data";
    throw new ConfigError(
      `Cannot use data folder "${dataDir}": it does not exist (start burrow serve --data DIR once, ${hint}${initHint})`,
    );
  }
  if (!info.isDirectory) {
    throw new ConfigError(
      `Cannot use data folder "${dataDir}": it is a file; give a folder with --data`,
    );
  }
}
