/** The table of `burrow` subcommands, in the order `burrow --help` lists them. @module */
import type { Command } from "./command.ts";
import { catCommand } from "./cat.ts";
import { certsCommand } from "./certs.ts";
import { checkCommand } from "./check.ts";
import { diffCommand } from "./diff.ts";
import { findCommand } from "./find.ts";
import { forgetCommand } from "./forget.ts";
import { lsCommand } from "./ls.ts";
import { pruneCommand } from "./prune.ts";
import { passwdCommand } from "./passwd.ts";
import { pullCommand } from "./pull.ts";
import { pushCommand } from "./push.ts";
import { scrubCommand } from "./scrub.ts";
import { serveCommand } from "./serve.ts";
import { signupCommand } from "./signup.ts";
import { snapshotsCommand } from "./snapshots.ts";
import { useraddCommand } from "./useradd.ts";
import { userdelCommand } from "./userdel.ts";
import { usermodCommand } from "./usermod.ts";
import { usersCommand } from "./users.ts";

/** Every subcommand, by name. */
export const COMMANDS: readonly Command[] = [
  serveCommand,
  useraddCommand,
  usermodCommand,
  userdelCommand,
  usersCommand,
  scrubCommand,
  pushCommand,
  pullCommand,
  snapshotsCommand,
  lsCommand,
  findCommand,
  diffCommand,
  catCommand,
  checkCommand,
  forgetCommand,
  pruneCommand,
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
    "Options:",
    `  ${"--help".padEnd(width)}Show this help (burrow COMMAND --help for a command's)`,
    `  ${"--version".padEnd(width)}Print the version`,
    "",
    "Exit codes: 0 done, 1 failed, 2 usage, 3 authentication refused, 4 integrity failure.",
    "Set BURROW_DEBUG=1 to see the cause chain of an error.",
  ].join("\n");
}

/** The command whose name is nearest to `name` (a typo or a prefix), or undefined. */
export function nearestCommand(name: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const command of COMMANDS) {
    const distance = command.name.startsWith(name) ? 1 : editDistance(name, command.name);
    if (best === undefined || distance < best.distance) best = { name: command.name, distance };
  }
  return best !== undefined && best.distance <= 2 ? best.name : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions of one character. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
