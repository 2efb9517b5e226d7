/**
 * burrow's entry point: parse argv, dispatch to a command, and map errors to exit codes
 * (0 done, 1 failed, 2 usage, 3 authentication refused, 4 integrity failure). This is the only
 * place that calls Deno.exit.
 *
 * @module
 */
import { commandHelp, parseCommandArgs } from "./src/cli/command.ts";
import { COMMANDS, mainHelp, nearestCommand } from "./src/cli/commands.ts";
import { printError, printLine } from "./src/cli/output.ts";
import { BurrowError, type ErrorCode, UsageError } from "./src/errors.ts";

/** Exit code for each error code; everything not listed exits 1. */
const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  USAGE: 2,
  INVALID_NAME: 2,
  AUTH_FAILED: 3,
  RATE_LIMITED: 3,
  SIGNUP_DISABLED: 3,
  PASSWORD_EXPIRED: 3,
  APPEND_ONLY: 3,
  INTEGRITY: 4,
};

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  return error instanceof BurrowError ? EXIT_CODES[error.code] ?? 1 : 1;
}

/** Runs burrow with `argv`; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    printLine(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    printLine("burrow 0.1.0");
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  try {
    if (entry === undefined) {
      const near = nearestCommand(name);
      const hint = near === undefined ? "see: burrow --help" : `did you mean ${near}?`;
      throw new UsageError(`Unknown command "${name}" (${hint})`);
    }
    const command = await entry.load();
    const args = parseCommandArgs(command, rest);
    if (args === null) {
      printLine(commandHelp(command));
      return 0;
    }
    await command.run(args);
    return 0;
  } catch (error) {
    reportError(error);
    return exitCodeFor(error);
  }
}

function reportError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  printError(`burrow: ${message}`);
  if (Deno.env.get("BURROW_DEBUG") !== "1") return;
  let cause: unknown = error;
  while (cause !== undefined) {
    printError(cause instanceof Error ? cause.stack ?? cause.message : String(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
