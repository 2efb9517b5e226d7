/**
 * Which account a repository belongs to. A user name can be removed and later given to a new
 * account; the repository folder records the account it was made for in DATA/repos/NAME/account
 * (the user name and the account's creation time, JSON), so a new account of an old name never
 * opens the earlier account's data: its password would not open the key, and its pushes would
 * land among chunks it cannot read.
 *
 * Invariant: a repository folder is used only once its account file names the account using it.
 * The file is written (atomically) when the folder is made, before anything else goes in. A
 * folder without one (made before account files existed, or by a crash right after its mkdir) is
 * adopted only when it holds no key file, or the key file of the account's current password (a
 * new account of the same name has a new salt, so another KDF string and key file name).
 *
 * @module
 */
import { makeDirDurable, type SyncDir, writeFileAtomic } from "../atomic_file.ts";
import { BurrowError } from "../errors.ts";
import { type Logger, silentLogger } from "../log.ts";
import { keyFileName } from "./layout.ts";

/** The account that opens a repository, as the user store has it now. */
export interface RepositoryAccount {
  user: string;
  /** The account's creation time, ISO 8601 UTC: what tells two accounts of one name apart. */
  created: string;
  /** The account's client KDF string: it names the key file of its current password. */
  kdf: string;
}

/** Options of `claimRepository`. */
export interface ClaimOptions {
  /** Hears of a repository refused, with its path (the client is told no path). */
  logger?: Logger;
  /** Fsyncs a folder into which a folder was made (default `syncDir`). */
  syncDir?: SyncDir;
}

/** The file in a repository folder that names its account. */
export const ACCOUNT_FILE = "account";

/**
 * Makes sure the repository folder `dir` belongs to `account`: makes the folder with its account
 * file when it is missing, adopts a folder without one when nothing in it belongs to another
 * account, and refuses any other.
 *
 * @throws {BurrowError} CONFLICT when the folder belongs to another (an earlier) account of the
 *   same name, or its account file cannot be read; the message names no path
 */
export async function claimRepository(
  dir: string,
  account: RepositoryAccount,
  options: ClaimOptions = {},
): Promise<void> {
  const durable = options.syncDir === undefined ? {} : { syncDir: options.syncDir };
  const owner = await readAccountFile(dir);
  if (owner === "missing") {
    await makeDirDurable(dir, durable);
    if (!await isKeylessOrOwn(dir, account.kdf)) refuse(dir, account, options, "another key");
    await writeAccountFile(dir, account);
    return;
  }
  if (owner === "unreadable") refuse(dir, account, options, "unreadable account file");
  if (owner.user !== account.user || owner.created !== account.created) {
    refuse(dir, account, options, `made for the account created ${owner.created}`);
  }
}

/** The account `dir/account` names, "missing" when there is no such file, or "unreadable". */
async function readAccountFile(
  dir: string,
): Promise<{ user: string; created: string } | "missing" | "unreadable"> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/${ACCOUNT_FILE}`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "missing";
    return "unreadable";
  }
  try {
    const value = JSON.parse(text);
    if (
      value?.version === 1 && typeof value.user === "string" && typeof value.created === "string"
    ) {
      return { user: value.user, created: value.created };
    }
  } catch {
    // Not JSON: unreadable.
  }
  return "unreadable";
}

async function writeAccountFile(dir: string, account: RepositoryAccount): Promise<void> {
  const text = `${JSON.stringify({ version: 1, user: account.user, created: account.created })}\n`;
  await writeFileAtomic(`${dir}/${ACCOUNT_FILE}`, text);
}

/** Whether `dir/keys` holds no key file, or the one of the password whose KDF string is `kdf`. */
async function isKeylessOrOwn(dir: string, kdf: string): Promise<boolean> {
  const own = keyFileName(kdf);
  let keys = 0;
  try {
    for await (const entry of Deno.readDir(`${dir}/keys`)) {
      if (entry.name === own) return true;
      if (entry.name.endsWith(".key")) keys++;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return keys === 0;
}

function refuse(
  dir: string,
  account: RepositoryAccount,
  options: ClaimOptions,
  reason: string,
): never {
  (options.logger ?? silentLogger).error("repository belongs to an earlier account", {
    user: account.user,
    path: dir,
    reason,
    accountCreated: account.created,
  });
  throw new BurrowError(
    "CONFLICT",
    `Cannot open your repository: the backups kept under the name "${account.user}" belong to an earlier account of that name; ask the server's administrator to move them aside`,
  );
}
