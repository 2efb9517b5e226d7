/**
 * `burrow usermod NAME`: changes the limits an administrator sets on an account (append-only,
 * quota, disabled) in the user store of an existing data folder. It works beside a running
 * server: the server reads an account's limits from the store at each login and request, so a
 * change applies to the account's next request, and disabling ends its open connections then.
 *
 * @module
 */
import { NotFoundError, UsageError } from "../errors.ts";
import { validateUserName } from "../names.ts";
import type { UserUpdate } from "../users/user_store.ts";
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import { openAdminStore } from "./admin_store.ts";
import { describeLimits, QUOTA_FLAG } from "./_account_limits.ts";
import { STORE_FLAGS } from "./config.ts";
import { printLine } from "./output.ts";
import { quotaFlagValue } from "./size.ts";

/** The changes the flags ask for. @throws {UsageError} for bad or conflicting flags, or none */
function changesOf(args: ParsedArgs): UserUpdate {
  const changes: UserUpdate = {};
  const appendOnly = stringFlag(args, "append-only");
  if (appendOnly !== undefined) {
    if (appendOnly !== "on" && appendOnly !== "off") {
      throw new UsageError(`Cannot use --append-only "${appendOnly}": expected on or off`);
    }
    changes.appendOnly = appendOnly === "on";
  }
  const quota = quotaFlagValue(stringFlag(args, "quota"));
  if (quota !== undefined) changes.quota = quota;
  const disable = booleanFlag(args, "disable");
  const enable = booleanFlag(args, "enable");
  if (disable && enable) throw new UsageError("Cannot use --disable and --enable together");
  if (disable || enable) changes.disabled = disable;
  if (Object.keys(changes).length === 0) {
    throw new UsageError(
      "Cannot run usermod: nothing to change (give --append-only on|off, --quota SIZE|none, --disable or --enable)",
    );
  }
  return changes;
}

async function run(args: ParsedArgs): Promise<void> {
  const name = validateUserName(args.positionals[0] ?? "");
  const changes = changesOf(args);
  const { store } = await openAdminStore(args, "refuse");
  let described: string;
  try {
    if (await store.get(name) === null) {
      throw new NotFoundError(`Cannot change user "${name}": no such user`);
    }
    await store.update(name, changes);
    const record = await store.get(name);
    if (record === null) throw new NotFoundError(`Cannot change user "${name}": no such user`);
    described = describeLimits(record);
  } finally {
    await store.close();
  }
  printLine(`user "${name}" changed: ${described === "" ? "no limits" : described}`);
}

/** The `usermod` command. */
export const usermodCommand: Command = {
  name: "usermod",
  usage:
    "usermod NAME [--data DIR] [--users STORE] [--append-only on|off] [--quota SIZE|none] [--disable|--enable]",
  description:
    "Changes the limits of the account NAME and prints the ones it has now. An append-only\n" +
    "account can push, pull, list and check, but the server refuses what would remove or replace\n" +
    "its backups (forget, prune, deleting snapshots, replacing its key): lift it (--append-only\n" +
    "off) for a trusted machine's prune, then set it again. With a quota the server refuses\n" +
    "chunks past SIZE stored (none: no limit). A disabled account cannot log in; its backups stay.\n" +
    "Works while the server runs: a change applies to the account's next request.",
  examples: [
    "usermod laptop --append-only off     # before a prune from a trusted machine",
    "usermod laptop --quota 50GiB",
    "usermod laptop --disable             # a lost laptop: its connections end, its data stays",
  ],
  flags: {
    ...STORE_FLAGS,
    "append-only": {
      type: "string",
      value: "on|off",
      help: "Refuse (on) or allow (off) forget, prune, snapshot deletion and key replacement",
    },
    quota: QUOTA_FLAG,
    disable: { type: "boolean", help: "The account cannot log in; its backups stay" },
    enable: { type: "boolean", help: "The account can log in again" },
  },
  positionals: { min: 1, max: 1 },
  run,
};
