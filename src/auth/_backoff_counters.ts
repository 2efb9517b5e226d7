/**
 * Failure counters per key with a back-off, where an attempt in flight counts as a possible
 * failure until it ends: the building block of the login rate limits.
 *
 * @module
 */

/** How one kind of key (address or user) is limited; durations in milliseconds. */
export interface BackoffPolicy {
  /** Failures, counting attempts in flight, that may happen before the back-off starts. */
  free: number;
  /** First back-off, doubled for each further failure. */
  baseMs: number;
  /** Longest back-off. */
  maxMs: number;
  /** Quiet time after the end of the back-off after which a counter is forgotten. */
  windowMs: number;
  /** Most counters kept; the stalest without an attempt in flight are dropped beyond it. */
  maxEntries: number;
}

interface Counter {
  failures: number;
  inFlight: number;
  blockedUntil: number;
  expiresAt: number;
}

/**
 * What an attempt for a key may do: start now (0), retry after this many milliseconds (> 0), or
 * wait until an attempt in flight settles and ask again ("settle").
 */
export type Wait = number | "settle";

/**
 * Counts failures and attempts in flight per key. While failures plus attempts in flight are
 * below `free`, attempts may start at once, in parallel. Beyond that, an attempt waits for those
 * in flight to settle, and once `free` failures are in, attempts run one at a time, each only
 * after the back-off of the last failure (`baseMs` doubled per failure past `free`, at most
 * `maxMs`). So however many attempts come together, at most `free` of them can fail before the
 * back-off holds, and none is refused for attempts that then succeed. A counter without attempts
 * in flight is forgotten `windowMs` after the end of its back-off; one with an attempt in flight
 * is never dropped.
 */
export class BackoffCounters {
  readonly #policy: BackoffPolicy;
  /** In order of the last failure or creation (stalest first). */
  readonly #counters = new Map<string, Counter>();

  constructor(policy: BackoffPolicy) {
    this.#policy = policy;
  }

  /** Number of counters held. */
  get size(): number {
    return this.#counters.size;
  }

  /** Whether an attempt for `key` may start now (see {@link Wait}). */
  wait(key: string, now: number): Wait {
    const counter = this.#live(key, now);
    if (counter === undefined) return 0;
    if (now < counter.blockedUntil) return counter.blockedUntil - now;
    if (counter.failures + counter.inFlight < this.#policy.free) return 0;
    return counter.inFlight > 0 ? "settle" : 0;
  }

  /** Counts an attempt for `key` as in flight (call only after `wait` returned 0). */
  begin(key: string, now: number): void {
    let counter = this.#live(key, now);
    if (counter === undefined) {
      counter = {
        failures: 0,
        inFlight: 0,
        blockedUntil: now,
        expiresAt: now + this.#policy.windowMs,
      };
      this.#counters.set(key, counter);
      this.#evict(now);
    }
    counter.inFlight++;
  }

  /** Ends an attempt that `begin` started: as a failure, or without counting it. */
  end(key: string, failed: boolean, now: number): void {
    const counter = this.#counters.get(key);
    if (counter === undefined) return;
    counter.inFlight = Math.max(0, counter.inFlight - 1);
    if (failed) {
      const failures = now >= counter.expiresAt ? 1 : counter.failures + 1;
      const { free, windowMs } = this.#policy;
      counter.failures = failures;
      counter.blockedUntil = failures >= free ? now + this.#backoffMs(failures - free) : now;
      counter.expiresAt = counter.blockedUntil + windowMs;
      // Re-inserting keeps the map ordered by last failure, so eviction drops the stalest.
      this.#counters.delete(key);
      this.#counters.set(key, counter);
      this.#evict(now);
    } else if (counter.inFlight === 0 && counter.failures === 0) {
      this.#counters.delete(key);
    }
  }

  /** Forgets the failures of `key` (attempts in flight stay counted). */
  clear(key: string): void {
    const counter = this.#counters.get(key);
    if (counter === undefined) return;
    if (counter.inFlight === 0) {
      this.#counters.delete(key);
    } else {
      counter.failures = 0;
      counter.blockedUntil = 0;
    }
  }

  /** The counter of `key`, after forgetting it if it expired with nothing in flight. */
  #live(key: string, now: number): Counter | undefined {
    const counter = this.#counters.get(key);
    if (counter === undefined || counter.inFlight > 0 || now < counter.expiresAt) return counter;
    this.#counters.delete(key);
    return undefined;
  }

  #backoffMs(extraFailures: number): number {
    const { baseMs, maxMs } = this.#policy;
    return Math.min(baseMs * 2 ** Math.min(extraFailures, 52), maxMs);
  }

  /** Drops expired counters from the stale end, then the stalest beyond maxEntries. */
  #evict(now: number): void {
    for (const [key, counter] of this.#counters) {
      const expired = now >= counter.expiresAt;
      if (!expired && this.#counters.size <= this.#policy.maxEntries) break;
      if (counter.inFlight > 0) continue;
      this.#counters.delete(key);
    }
  }
}
