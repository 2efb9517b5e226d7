/**
 * The only place that writes to the console. Commands print results on stdout (or one JSON value
 * with `--json`), and everything meant for a person (errors, logs, prompts) on stderr.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import type { LogFields, Logger } from "../log.ts";

const encoder = new TextEncoder();

/** Prints one line of a command's result on stdout. */
export function printLine(line = ""): void {
  console.log(line);
}

/** Prints one JSON value on stdout: the whole output of a command run with `--json`. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** Lines gathered before one write: a long listing is not a write per line. */
const LINE_BATCH_BYTES = 256 * 1024;

/** Prints many lines of a command's result on stdout, a few large writes at a time. */
export async function printLines(lines: Iterable<string>): Promise<void> {
  let batch: string[] = [];
  let size = 0;
  for (const line of lines) {
    batch.push(line);
    size += line.length + 1;
    if (size < LINE_BATCH_BYTES) continue;
    await writeStdout(encoder.encode(`${batch.join("\n")}\n`));
    batch = [];
    size = 0;
  }
  if (batch.length > 0) await writeStdout(encoder.encode(`${batch.join("\n")}\n`));
}

/** Writes bytes on stdout as they are (a file's content for `cat`). */
export async function writeStdout(bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) {
    offset += await Deno.stdout.write(bytes.subarray(offset));
  }
}

/** Prints one line for a person on stderr (notices, warnings, errors). */
export function printError(line: string): void {
  console.error(line);
}

/** Writes text on stderr without a newline (prompts). */
export function writePrompt(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

/** Prints rows as aligned columns under a header on stdout. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const format = (cells: readonly string[]) =>
    cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  printLine(format(header));
  printLine(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) printLine(format(row));
}

function formatFields(fields: LogFields | undefined): string {
  if (fields === undefined) return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = String(value);
    parts.push(`${key}=${/^[\w.:@/-]*$/.test(text) ? text : JSON.stringify(text)}`);
  }
  return parts.length > 0 ? ` ${parts.join(" ")}` : "";
}

/** A logger that writes one timestamped line per event on stderr. */
export function stderrLogger(now: () => Date = () => new Date()): Logger {
  const write = (level: string, message: string, fields?: LogFields) =>
    console.error(`${now().toISOString()} ${level} ${message}${formatFields(fields)}`);
  return {
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  };
}
