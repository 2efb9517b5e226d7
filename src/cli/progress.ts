/**
 * The progress line of long commands: percent, bytes, files, rate, ETA, elapsed time and the
 * file done last, redrawn at most ten times a second on stderr, cut to the terminal's width so it
 * never wraps, and only when stdout is a terminal; silent otherwise (so `--json` output and
 * pipes stay clean).
 *
 * @module
 */
import { formatBytes, formatSeconds } from "../display.ts";
import { writePrompt } from "./output.ts";

/** A snapshot of progress to draw. */
export interface ProgressState {
  files: number;
  bytes: number;
  totalFiles?: number | undefined;
  totalBytes?: number | undefined;
  /** The file done last, shown at the end of the line as room allows. */
  current?: string | undefined;
}

/** Columns used when the terminal's width cannot be read. */
const FALLBACK_COLUMNS = 80;

/** A redrawable progress line. */
export class ProgressLine {
  readonly #enabled: boolean;
  readonly #columns: () => number;
  readonly #started = performance.now();
  #lastDraw = 0;
  #width = 0;

  /** @param columns the terminal's width (default: stderr's, read at each draw) */
  constructor(enabled: boolean = Deno.stdout.isTerminal(), columns: () => number = stderrColumns) {
    this.#enabled = enabled;
    this.#columns = columns;
  }

  /** Redraws the line if enough time passed since the last draw. */
  update(state: ProgressState): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const text = fitLine(progressText(state, (now - this.#started) / 1000), this.#columns() - 1);
    writePrompt(`\r${text.padEnd(this.#width)}`);
    this.#width = text.length;
  }

  /** Clears the line before the summary is printed. */
  done(): void {
    if (this.#enabled && this.#width > 0) writePrompt(`\r${" ".repeat(this.#width)}\r`);
  }
}

/** The parts of a progress line, most important first: what does not fit is dropped. */
export function progressText(state: ProgressState, seconds: number): string[] {
  const rate = seconds > 0 ? state.bytes / seconds : 0;
  const { totalBytes, totalFiles } = state;
  const parts = [
    totalBytes
      ? `${percent(state.bytes, totalBytes)} ${formatBytesOf(state.bytes, totalBytes)}`
      : formatBytes(state.bytes),
    `${state.files}${totalFiles ? `/${totalFiles}` : ""} files`,
    `${formatSeconds(seconds)} elapsed`,
    totalBytes && rate > 0 && state.bytes < totalBytes
      ? `ETA ${formatSeconds((totalBytes - state.bytes) / rate)}`
      : "",
    `${formatBytes(rate)}/s`,
  ].filter((part) => part !== "");
  if (state.current !== undefined) parts.push(state.current);
  return parts;
}

/**
 * Joins `parts` with two spaces into at most `columns` characters: whole parts while they fit;
 * the last part (the current file) is cut in the middle with "…" to use what room is left.
 */
export function fitLine(parts: readonly string[], columns: number): string {
  let line = "";
  for (const [i, part] of parts.entries()) {
    const joined = line === "" ? part : `${line}  ${part}`;
    if (joined.length <= columns) {
      line = joined;
      continue;
    }
    const room = columns - line.length - 2;
    if (i === parts.length - 1 && room >= 12) {
      const keep = room - 1;
      const head = Math.floor(keep / 3);
      line = `${line}  ${part.slice(0, head)}…${part.slice(part.length - (keep - head))}`;
    }
    break;
  }
  return line.slice(0, Math.max(0, columns));
}

function stderrColumns(): number {
  try {
    return Deno.consoleSize().columns || FALLBACK_COLUMNS;
  } catch {
    return FALLBACK_COLUMNS;
  }
}

/** "17.0/48.0 MiB", or "900.0 KiB/48.0 MiB" when the units differ. */
function formatBytesOf(done: number, total: number): string {
  const [doneValue, doneUnit] = splitUnit(formatBytes(done));
  const [totalValue, totalUnit] = splitUnit(formatBytes(total));
  return doneUnit === totalUnit
    ? `${doneValue}/${totalValue} ${totalUnit}`
    : `${formatBytes(done)}/${formatBytes(total)}`;
}

function splitUnit(text: string): [string, string] {
  const space = text.lastIndexOf(" ");
  return [text.slice(0, space), text.slice(space + 1)];
}

function percent(done: number, total: number): string {
  return `${Math.min(100, Math.floor((100 * done) / total)).toString().padStart(3)}%`;
}
