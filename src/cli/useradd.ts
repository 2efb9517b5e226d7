/**
 * `burrow useradd NAME`: creates an account directly in the user store of an existing data
 * folder (or of a new one, with --init). A name whose earlier account left its repository in
 * DATA/repos/NAME is refused until that folder is moved aside or deleted, so a new account never
 * starts on another account's data.
 *
 * @module
 */
import {
  checkNewPassword,
  DEFAULT_HASH_PARAMS,
  DEFAULT_MIN_PASSWORD_LENGTH,
  hashSecret,
} from "../auth/mod.ts";
import { newCredentials } from "../auth/new_credentials.ts";
import { BurrowError, UsageError, UserExistsError } from "../errors.ts";
import { removedRepositoryDir, userRepositoryDir } from "../store/layout.ts";
import { validateUserName } from "../names.ts";
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import { describeLimits, QUOTA_FLAG } from "./_account_limits.ts";
import { quotaFlagValue } from "./size.ts";
import { openAdminStore } from "./admin_store.ts";
import { processEnv, STORE_FLAGS } from "./config.ts";
import { printLine } from "./output.ts";
import { readPassword, StdinLines } from "./password_input.ts";

/**
 * Refuses `name` while DATA/repos/NAME holds an earlier account's repository, naming the folder
 * and the two ways out. @throws {BurrowError} CONFLICT
 */
async function refuseEarlierRepository(dataDir: string, name: string): Promise<void> {
  const dir = userRepositoryDir(dataDir, name);
  if (!await Deno.lstat(dir).then(() => true, () => false)) return;
  const aside = removedRepositoryDir(dataDir, name, new Date());
  throw new BurrowError(
    "CONFLICT",
    `Cannot add user "${name}": the backups of an earlier account "${name}" are still in "${dir}"; to keep them, move the folder aside (mv "${dir}" "${aside}"), or delete it; then add the user again`,
  );
}

async function run(args: ParsedArgs): Promise<void> {
  const name = validateUserName(args.positionals[0] ?? "");
  const temporary = booleanFlag(args, "temporary");
  const init = booleanFlag(args, "init");
  const quota = quotaFlagValue(stringFlag(args, "quota"));
  if (quota === null) {
    throw new UsageError('Cannot use --quota "none" with useradd: leave --quota out for no limit');
  }
  const limits = { appendOnly: booleanFlag(args, "append-only"), quota: quota ?? null };
  const { dataDir, store } = await openAdminStore(args, init ? "create" : "suggest-init");
  try {
    // Fail before asking for a password when the name is taken; add() checks again atomically.
    if (await store.get(name) !== null) throw new UserExistsError(name);
    await refuseEarlierRepository(dataDir, name);
    const password = await readPassword(
      {
        fromStdin: args.flags["password-stdin"] === true,
        fromEnv: processEnv("BURROW_PASSWORD"),
        stdin: new StdinLines(),
      },
      "Password",
      true,
    );
    checkNewPassword(password, DEFAULT_MIN_PASSWORD_LENGTH);
    const credentials = await newCredentials(password);
    const verifier = await hashSecret(credentials.authKey, DEFAULT_HASH_PARAMS);
    const created = new Date().toISOString();
    await store.add({
      name,
      created,
      lastLogin: null,
      kdf: credentials.kdf,
      verifier,
      temporaryPassword: temporary,
      ...limits,
      disabled: false,
    });
  } finally {
    await store.close();
  }
  const described = describeLimits({ ...limits, disabled: false });
  const added = `user "${name}" added${described === "" ? "" : ` (${described})`}`;
  printLine(
    temporary
      ? `${added} with a temporary password: they must choose their own with burrow passwd before anything else`
      : added,
  );
}

/** The `useradd` command. */
export const useraddCommand: Command = {
  name: "useradd",
  usage:
    "useradd NAME [--data DIR] [--users STORE] [--init] [--temporary] [--append-only] [--quota SIZE] [--password-stdin]",
  description:
    "Creates the account NAME. The password is read from the first line of stdin with --password-stdin,\n" +
    "else from BURROW_PASSWORD, else asked twice on the terminal without echo; it needs at least\n" +
    `${DEFAULT_MIN_PASSWORD_LENGTH} characters. Only a salted Argon2id hash of a key derived from it is stored.\n` +
    "With --temporary the user must choose their own password (burrow passwd) before anything\n" +
    "else. The data folder and user store must exist (burrow serve makes them) unless --init is\n" +
    "given. Refused while DATA/repos/NAME holds the backups of an earlier account of that name.\n" +
    "With --append-only the account can push, pull, list and check, but the server refuses what\n" +
    "would remove or replace its backups (forget, prune, deleting snapshots, replacing its key);\n" +
    "with --quota it refuses chunks past SIZE stored. burrow usermod changes both later.",
  examples: [
    "useradd alice --temporary            # asks twice for a first password to hand to alice",
    "useradd bob --password-stdin < pw.txt",
    "useradd carol --data /srv/burrow --init   # makes /srv/burrow and its user store",
    "useradd laptop --append-only --quota 50GiB   # a machine that may only add backups",
    "useradd dave --users postgres://burrow@db.example:5432/burrow   # database password: PGPASSWORD",
  ],
  flags: {
    ...STORE_FLAGS,
    init: { type: "boolean", help: "Create the data folder and user store if they are missing" },
    temporary: {
      type: "boolean",
      help: "The user must change the password (burrow passwd) before anything else",
    },
    "append-only": {
      type: "boolean",
      help: "The server refuses forget, prune, snapshot deletion and key replacement",
    },
    quota: QUOTA_FLAG,
    "password-stdin": { type: "boolean", help: "Read the password from the first line of stdin" },
  },
  positionals: { min: 1, max: 1 },
  run,
};
