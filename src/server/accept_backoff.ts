/**
 * Pacing for an accept loop whose `accept` fails (out of descriptors, EMFILE): the loop waits
 * before it tries again, longer after each failure in a row, and logs at most one line per
 * period, so a failing accept costs neither CPU nor disk.
 *
 * @module
 */

/** Timing of an `AcceptBackoff`. */
export interface AcceptBackoffOptions {
  /** The wait after the first failure; each failure in a row doubles it. */
  minDelayMs: number;
  /** The longest wait. */
  maxDelayMs: number;
  /** At most one log line per this period. */
  logEveryMs: number;
}

/** Defaults for `AcceptBackoffOptions`: 5 ms doubling to 1 s, a log line per 10 s. */
export const DEFAULT_ACCEPT_BACKOFF: AcceptBackoffOptions = {
  minDelayMs: 5,
  maxDelayMs: 1000,
  logEveryMs: 10_000,
};

/** What the loop does after one failed accept. */
export interface AcceptFailure {
  /** How long to wait before the next accept. */
  delayMs: number;
  /** Null while the log line is throttled; else log now, saying how many lines were skipped. */
  suppressed: number | null;
}

/** Delays that double from `minDelayMs` to `maxDelayMs` and reset on a success. */
export class AcceptBackoff {
  readonly #options: AcceptBackoffOptions;
  readonly #now: () => number;
  #delayMs = 0;
  #lastLogAt = -Infinity;
  #suppressed = 0;

  constructor(
    options: AcceptBackoffOptions = DEFAULT_ACCEPT_BACKOFF,
    now: () => number = Date.now,
  ) {
    this.#options = options;
    this.#now = now;
  }

  /** Records a successful accept: the next failure waits `minDelayMs` again. */
  succeeded(): void {
    this.#delayMs = 0;
  }

  /** Records a failed accept. */
  failed(): AcceptFailure {
    const { minDelayMs, maxDelayMs, logEveryMs } = this.#options;
    this.#delayMs = Math.min(maxDelayMs, Math.max(minDelayMs, this.#delayMs * 2));
    const now = this.#now();
    if (now - this.#lastLogAt < logEveryMs) {
      this.#suppressed++;
      return { delayMs: this.#delayMs, suppressed: null };
    }
    const suppressed = this.#suppressed;
    this.#lastLogAt = now;
    this.#suppressed = 0;
    return { delayMs: this.#delayMs, suppressed };
  }
}
