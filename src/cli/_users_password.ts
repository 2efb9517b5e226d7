/**
 * The database password of a `postgres://` user store, resolved once by the commands that open
 * one: the first line of `--users-password-file FILE`, else a password written in the URL, else
 * `PGPASSWORD`, else none here (the driver then reads PGPASSFILE or ~/.pgpass, as libpq does).
 * A password written in a `--users` URL on the command line is accepted with a warning, since
 * `ps` shows it to every local user; with a password file it is refused, so that exactly one is
 * used. The password is never printed.
 *
 * @module
 */
import { ConfigError, errorMessage, UsageError } from "../errors.ts";
import { parseStoreSpec } from "../users/registry.ts";
import { type ParsedArgs, stringFlag } from "./command.ts";
import type { EnvReader } from "./config.ts";
import { printError } from "./output.ts";

/**
 * The password to open `usersSpec` with, or undefined when the URL's own (or the driver's lookup)
 * is to be used. Warns on stderr when a `--users` flag carries a password.
 * @throws {UsageError} when a password file is given for a file store, or beside a password in
 *   the URL
 * @throws {ConfigError} when the file cannot be read or its first line is empty
 */
export async function resolveUsersPassword(
  args: ParsedArgs,
  env: EnvReader,
  usersSpec: string,
): Promise<string | undefined> {
  const file = stringFlag(args, "users-password-file");
  const spec = parseStoreSpec(usersSpec);
  if (spec.scheme !== "postgres") {
    if (file === undefined) return undefined;
    throw new UsageError(
      `Cannot use --users-password-file with the user store "${spec.scheme}:…": only a postgres:// store has a password`,
    );
  }
  if (spec.target.password !== null) {
    if (file !== undefined) {
      throw new UsageError(
        "Cannot use --users-password-file: the --users URL holds a password too; keep one of them",
      );
    }
    if (stringFlag(args, "users") !== undefined) {
      printError(
        "warning: the --users URL holds a password, which every local user can see with ps; give it in PGPASSWORD or --users-password-file instead",
      );
    }
    return undefined;
  }
  if (file !== undefined) return await readPasswordFile(file);
  return env("PGPASSWORD");
}

/** The first line of `file`. @throws {ConfigError} when unreadable or empty */
async function readPasswordFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new ConfigError(
      `Cannot read the user store password file "${file}": ${errorMessage(error)}`,
      { cause: error },
    );
  }
  const password = text.split("\n", 1)[0]!.replace(/\r$/, "");
  if (password === "") {
    throw new ConfigError(
      `Cannot read the user store password file "${file}": its first line is empty`,
    );
  }
  return password;
}
