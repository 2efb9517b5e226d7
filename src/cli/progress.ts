/**
 * The progress line of long commands: bytes, files, rate and ETA, redrawn at most ten times a
 * second on stderr, and only when stdout is a terminal; silent otherwise (so `--json` output and
 * pipes stay clean).
 *
 * @module
 */
import { formatBytes, formatSeconds } from "./format.ts";
import { writePrompt } from "./output.ts";

/** A snapshot of progress to draw. */
export interface ProgressState {
  files: number;
  bytes: number;
  totalFiles?: number | undefined;
  totalBytes?: number | undefined;
}

/** A redrawable progress line. */
export class ProgressLine {
  readonly #enabled: boolean;
  readonly #started = performance.now();
  #lastDraw = 0;
  #width = 0;

  constructor(enabled: boolean = Deno.stdout.isTerminal()) {
    this.#enabled = enabled;
  }

  /** Redraws the line if enough time passed since the last draw. */
  update(state: ProgressState): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const seconds = (now - this.#started) / 1000;
    const rate = seconds > 0 ? state.bytes / seconds : 0;
    const parts = [
      state.totalBytes ? `${percent(state.bytes, state.totalBytes)} ` : "",
      `${formatBytes(state.bytes)}${state.totalBytes ? ` / ${formatBytes(state.totalBytes)}` : ""}`,
      `  ${state.files}${state.totalFiles ? `/${state.totalFiles}` : ""} files`,
      `  ${formatBytes(rate)}/s`,
      state.totalBytes && rate > 0 && state.bytes < state.totalBytes
        ? `  ETA ${formatSeconds((state.totalBytes - state.bytes) / rate)}`
        : "",
    ];
    const text = parts.join("");
    writePrompt(`\r${text.padEnd(this.#width)}`);
    this.#width = text.length;
  }

  /** Clears the line before the summary is printed. */
  done(): void {
    if (this.#enabled && this.#width > 0) writePrompt(`\r${" ".repeat(this.#width)}\r`);
  }
}

function percent(done: number, total: number): string {
  return `${Math.min(100, Math.floor((100 * done) / total)).toString().padStart(3)}%`;
}
