/**
 * A watch on the server's event loop: a timer due every `intervalMs` measures how late it runs,
 * and every `reportMs` the worst lateness of that period goes to `report` (`serve
 * --debug-timings` logs it). Lateness counts both time the loop was kept busy and time the process
 * waited for a CPU: it is what every other connection waited, at worst, for its next turn.
 *
 * @module
 */

/** Measures the event loop's lag until stopped. */
export class LoopLagMonitor {
  readonly #report: (maxMs: number) => void;
  readonly #intervalMs: number;
  readonly #reportMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(report: (maxMs: number) => void, intervalMs = 25, reportMs = 1000) {
    this.#report = report;
    this.#intervalMs = intervalMs;
    this.#reportMs = reportMs;
  }

  /** Starts measuring; the timer does not keep the process alive. */
  start(): void {
    if (this.#timer !== undefined) return;
    let last = performance.now();
    let since = last;
    let worst = 0;
    this.#timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last - this.#intervalMs);
      last = now;
      if (now - since >= this.#reportMs) {
        this.#report(Math.round(worst * 10) / 10);
        worst = 0;
        since = now;
      }
    }, this.#intervalMs);
    Deno.unrefTimer(this.#timer);
  }

  /** Stops measuring. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
