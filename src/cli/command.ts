/**
 * How a command is declared: its flags, positionals and help text, parsed with `node:util`
 * parseArgs in strict mode so that an unknown flag is a usage error (exit 2), never ignored.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";

/** One flag of a command. */
export interface FlagSpec {
  type: "string" | "boolean";
  /** Placeholder shown in help, e.g. "DIR". */
  value?: string;
  /** May be given more than once (values collected in order). */
  multiple?: boolean;
  help: string;
}

/** What a command receives after parsing. */
export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean | (string | boolean)[] | undefined>;
}

/** A subcommand of `burrow`. */
export interface Command {
  name: string;
  /** The usage line after `burrow `. */
  usage: string;
  /** Longer description, shown by `--help`. */
  description: string;
  /** Example command lines (after `burrow `), with a comment each, shown by `--help`. */
  examples: readonly string[];
  flags: Record<string, FlagSpec>;
  positionals: { min: number; max: number };
  /** Runs the command; resolves when done (errors are thrown, main.ts maps them). */
  run(args: ParsedArgs): Promise<void>;
}

/** Parses argv for `command`; returns null when `--help` was asked. @throws {UsageError} */
export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs | null {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {
    help: { type: "boolean" },
  };
  for (const [name, spec] of Object.entries(command.flags)) {
    options[name] = spec.multiple ? { type: spec.type, multiple: true } : { type: spec.type };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${describeParseError(error)} (see: burrow ${command.name} --help)`);
  }
  if (parsed.values.help === true) return null;
  const { min, max } = command.positionals;
  const count = parsed.positionals.length;
  if (count < min || count > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    throw new UsageError(
      `Cannot run "${command.name}": expected ${want} argument${
        max === 1 ? "" : "s"
      }, got ${count} (usage: burrow ${command.usage})`,
    );
  }
  return { positionals: parsed.positionals, flags: parsed.values };
}

/** A one-line account of a parseArgs failure, in our message style. */
function describeParseError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const flag = /'(-{1,2}[^' <]+)/.exec(text)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `Unknown flag "${flag}"`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return text.includes("argument missing")
      ? `Flag "${flag}" needs a value`
      : `Flag "${flag}" takes no value`;
  }
  return text.split("\n")[0] ?? text;
}

/** The `--help` text of a command. */
export function commandHelp(command: Command): string {
  const lines = [`Usage: burrow ${command.usage}`, "", command.description, "", "Options:"];
  const entries = Object.entries(command.flags).map(([name, spec]) => {
    const left = `  --${name}${spec.value ? ` ${spec.value}` : ""}`;
    return [left, spec.help] as const;
  });
  entries.push(["  --help", "Show this help"]);
  const width = Math.max(...entries.map(([left]) => left.length)) + 2;
  for (const [left, help] of entries) lines.push(`${left.padEnd(width)}${help}`);
  lines.push("", "Examples:", ...command.examples.map((example) => `  burrow ${example}`));
  return lines.join("\n");
}

/** A string flag's value, or undefined. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === "string" ? value : undefined;
}

/** A repeatable string flag's values (empty when absent). */
export function stringListFlag(args: ParsedArgs, name: string): string[] {
  const value = args.flags[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return typeof value === "string" ? [value] : [];
}

/** A boolean flag's value. */
export function booleanFlag(args: ParsedArgs, name: string): boolean {
  return args.flags[name] === true;
}
