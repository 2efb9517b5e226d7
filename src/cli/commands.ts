/** The table of `burrow` subcommands, in the order `burrow --help` lists them. @module */
import type { Command } from "./command.ts";
import { certsCommand } from "./certs.ts";
import { checkCommand } from "./check.ts";
import { passwdCommand } from "./passwd.ts";
import { pullCommand } from "./pull.ts";
import { pushCommand } from "./push.ts";
import { serveCommand } from "./serve.ts";
import { signupCommand } from "./signup.ts";
import { snapshotsCommand } from "./snapshots.ts";
import { useraddCommand } from "./useradd.ts";
import { userdelCommand } from "./userdel.ts";
import { usersCommand } from "./users.ts";

/** Every subcommand, by name. */
export const COMMANDS: readonly Command[] = [
  serveCommand,
  useraddCommand,
  userdelCommand,
  usersCommand,
  pushCommand,
  pullCommand,
  snapshotsCommand,
  checkCommand,
  signupCommand,
  passwdCommand,
  certsCommand,
];

/** The top-level `burrow --help` text. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    "burrow: deduplicated, end-to-end encrypted backups over TLS",
    "",
    "Usage: burrow COMMAND [options]   (burrow COMMAND --help for its options)",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Exit codes: 0 done, 1 failed, 2 usage, 3 authentication refused, 4 integrity failure.",
    "Set BURROW_DEBUG=1 to see the cause chain of an error.",
  ].join("\n");
}
