/**
 * The table of `burrow` subcommands, in the order `burrow --help` lists them. Each command's
 * module is loaded only when that command runs (`load`), so a command does not pay for loading
 * the others (the server, the certificate maker, the archive writers).
 *
 * @module
 */
import type { Command } from "./command.ts";

/** A subcommand as the table knows it before its module is loaded. */
export interface CommandEntry {
  /** What follows `burrow` (the loaded command's `name`). */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Loads the command's module. */
  load(): Promise<Command>;
}

/** Every subcommand, by name. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "serve",
    summary: "Run the backup server",
    load: async () => (await import("./serve.ts")).serveCommand,
  },
  {
    name: "useradd",
    summary: "Create an account in the user store",
    load: async () => (await import("./useradd.ts")).useraddCommand,
  },
  {
    name: "usermod",
    summary: "Change an account's limits: append-only, quota, disabled",
    load: async () => (await import("./usermod.ts")).usermodCommand,
  },
  {
    name: "userdel",
    summary: "Remove an account (and with --purge its backups)",
    load: async () => (await import("./userdel.ts")).userdelCommand,
  },
  {
    name: "users",
    summary: "List the accounts, their usage and limits",
    load: async () => (await import("./users.ts")).usersCommand,
  },
  {
    name: "scrub",
    summary: "Check the stored packs and indexes for damage, without any user's key",
    load: async () => (await import("./scrub.ts")).scrubCommand,
  },
  {
    name: "push",
    summary: "Back up a file or folder as a new snapshot",
    load: async () => (await import("./push.ts")).pushCommand,
  },
  {
    name: "pull",
    summary: "Restore a snapshot into a folder, a .zip or a .tar",
    load: async () => (await import("./pull.ts")).pullCommand,
  },
  {
    name: "snapshots",
    summary: "List your snapshots",
    load: async () => (await import("./snapshots.ts")).snapshotsCommand,
  },
  {
    name: "ls",
    summary: "List the files of a folder in a snapshot",
    load: async () => (await import("./ls.ts")).lsCommand,
  },
  {
    name: "find",
    summary: "Find which snapshots hold files matching a pattern",
    load: async () => (await import("./find.ts")).findCommand,
  },
  {
    name: "diff",
    summary: "Show what changed between two snapshots",
    load: async () => (await import("./diff.ts")).diffCommand,
  },
  {
    name: "cat",
    summary: "Write one file of a snapshot to stdout",
    load: async () => (await import("./cat.ts")).catCommand,
  },
  {
    name: "check",
    summary: "Check that every snapshot can be restored from what the server holds",
    load: async () => (await import("./check.ts")).checkCommand,
  },
  {
    name: "forget",
    summary: "Remove snapshots by a retention policy or by id",
    load: async () => (await import("./forget.ts")).forgetCommand,
  },
  {
    name: "prune",
    summary: "Free the space of chunks no snapshot uses any more",
    load: async () => (await import("./prune.ts")).pruneCommand,
  },
  {
    name: "signup",
    summary: "Create your account (servers started with --allow-signup)",
    load: async () => (await import("./signup.ts")).signupCommand,
  },
  {
    name: "passwd",
    summary: "Change your password",
    load: async () => (await import("./passwd.ts")).passwdCommand,
  },
  {
    name: "certs",
    summary: "Make a CA and a server certificate for burrow serve",
    load: async () => (await import("./certs.ts")).certsCommand,
  },
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
