/**
 * `burrow users [--json]`: lists the accounts of an existing user store; creates nothing.
 *
 * @module
 */
import type { UserRecord } from "../users/user_store.ts";
import { booleanFlag, type Command, type ParsedArgs } from "./command.ts";
import { openAdminStore } from "./admin_store.ts";
import { STORE_FLAGS } from "./config.ts";
import { formatTime } from "../display.ts";
import { printJson, printLine, printTable } from "./output.ts";

async function run(args: ParsedArgs): Promise<void> {
  const { store } = await openAdminStore(args, "refuse");
  let records: UserRecord[];
  try {
    records = await store.list();
  } finally {
    await store.close();
  }
  if (booleanFlag(args, "json")) {
    printJson(records.map((r) => ({
      name: r.name,
      created: r.created,
      lastLogin: r.lastLogin,
      temporaryPassword: r.temporaryPassword,
    })));
    return;
  }
  if (records.length === 0) {
    printLine("no users (add one with: burrow useradd NAME)");
    return;
  }
  printTable(
    ["NAME", "CREATED", "LAST LOGIN", "FLAGS"],
    records.map((r) => [
      r.name,
      formatTime(r.created),
      r.lastLogin === null ? "never" : formatTime(r.lastLogin),
      r.temporaryPassword ? "temporary password" : "",
    ]),
  );
}

/** The `users` command. */
export const usersCommand: Command = {
  name: "users",
  summary: "List the accounts",
  usage: "users [--data DIR] [--users STORE] [--json]",
  description:
    "Lists every account with its creation time, last login, and whether its password is still\n" +
    "the temporary one an administrator set. Reads an existing user store; creates nothing.",
  examples: [
    "users",
    "users --data /srv/burrow --json",
  ],
  flags: {
    ...STORE_FLAGS,
    json: {
      type: "boolean",
      help: "Print a JSON array of {name, created, lastLogin, temporaryPassword}",
    },
  },
  positionals: { min: 0, max: 0 },
  run,
};
