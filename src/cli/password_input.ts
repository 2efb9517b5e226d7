/**
 * Where a password comes from: the first line(s) of stdin with `--password-stdin`, else
 * `BURROW_PASSWORD`, else a prompt on the terminal without echo (asked twice when it is being set).
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { writePrompt } from "./output.ts";

const MAX_PASSWORD_BYTES = 1024;

/** Reads the lines of stdin once and hands them out in order. */
export class StdinLines {
  #lines: string[] | null = null;

  /** The next line of stdin (without its line ending). @throws {UsageError} at end of input */
  async next(what: string): Promise<string> {
    this.#lines ??= await readAllLines();
    const line = this.#lines.shift();
    if (line === undefined) throw new UsageError(`Cannot read ${what}: stdin has no more lines`);
    return line;
  }
}

async function readAllLines(): Promise<string[]> {
  const text = await new Response(Deno.stdin.readable).text();
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** Refuses empty and absurdly long passwords. @throws {UsageError} */
export function checkPassword(password: string, what: string): string {
  if (password.length === 0) throw new UsageError(`Cannot use ${what}: it is empty`);
  if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES) {
    throw new UsageError(`Cannot use ${what}: longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
  return password;
}

/** Asks on the terminal without echo; `confirm` asks a second time and compares. */
export async function promptPassword(label: string, confirm: boolean): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    throw new UsageError(
      `Cannot ask for the ${label.toLowerCase()}: stdin is not a terminal (use --password-stdin or BURROW_PASSWORD)`,
    );
  }
  const first = await readHidden(`${label}: `);
  if (confirm) {
    const second = await readHidden(`Repeat ${label.toLowerCase()}: `);
    if (first !== second) throw new UsageError("Cannot set the password: the two entries differ");
  }
  return checkPassword(first, `the ${label.toLowerCase()}`);
}

/** Bytes typed past the end of the line a prompt read: the start of the next prompt's answer. */
let typedAhead: number[] = [];

async function readHidden(prompt: string): Promise<string> {
  writePrompt(prompt);
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buffer = new Uint8Array(64);
  let pending = typedAhead;
  typedAhead = [];
  try {
    for (;;) {
      for (let i = 0; i < pending.length; i++) {
        const byte = pending[i]!;
        if (byte === 0x03) throw new UsageError("Cannot read the password: cancelled");
        if (byte === 0x0d || byte === 0x0a) {
          const next = byte === 0x0d && pending[i + 1] === 0x0a ? i + 2 : i + 1;
          typedAhead = pending.slice(next);
          return new TextDecoder().decode(new Uint8Array(bytes));
        }
        if (byte === 0x7f || byte === 0x08) bytes.pop();
        else if (bytes.length < MAX_PASSWORD_BYTES * 4) bytes.push(byte);
      }
      const n = await Deno.stdin.read(buffer);
      if (n === null) break;
      pending = [...buffer.subarray(0, n)];
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  } finally {
    Deno.stdin.setRaw(false);
    writePrompt("\n");
  }
}

/** Options of `readPassword`. */
export interface PasswordSource {
  /** `--password-stdin` was given. */
  fromStdin: boolean;
  /** BURROW_PASSWORD (or another variable), when set. */
  fromEnv: string | undefined;
  /** Shared reader when a command reads more than one line. */
  stdin: StdinLines;
}

/** Reads one password from stdin, the environment or the terminal, in that order. */
export async function readPassword(
  source: PasswordSource,
  label: string,
  confirm: boolean,
): Promise<string> {
  if (source.fromStdin) {
    return checkPassword(await source.stdin.next(label.toLowerCase()), label.toLowerCase());
  }
  if (source.fromEnv !== undefined) return checkPassword(source.fromEnv, label.toLowerCase());
  return await promptPassword(label, confirm);
}
