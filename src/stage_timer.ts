/**
 * Wall-clock time per stage of one command, for `--debug-timings`: the command calls `lap(name)`
 * as each stage ends, and prints `lines()` at the end. Library code takes an optional timer and
 * does nothing when there is none.
 *
 * @module
 */

/** Measures consecutive stages; each `lap` ends the stage that began at the previous one. */
export class StageTimer {
  readonly #now: () => number;
  readonly #started: number;
  #last: number;
  readonly #stages: { name: string; ms: number }[] = [];

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#started = now();
    this.#last = this.#started;
  }

  /** Ends the current stage and records it as `name` (a repeated name adds up). */
  lap(name: string): void {
    const now = this.#now();
    const existing = this.#stages.find((s) => s.name === name);
    if (existing === undefined) this.#stages.push({ name, ms: now - this.#last });
    else existing.ms += now - this.#last;
    this.#last = now;
  }

  /** One line per stage, in order, then the total: `timing: archive 1234.5 ms`. */
  lines(): string[] {
    const width = Math.max(5, ...this.#stages.map((s) => s.name.length));
    const line = (name: string, ms: number) => `timing: ${name.padEnd(width)} ${ms.toFixed(1)} ms`;
    return [
      ...this.#stages.map((s) => line(s.name, s.ms)),
      line("total", this.#last - this.#started),
    ];
  }
}
