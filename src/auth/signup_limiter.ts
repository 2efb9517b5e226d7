/**
 * A quota of new accounts per client address (`serve --signup-limit N/hour`), so one peer cannot
 * create accounts in bulk.
 *
 * @module
 */
import type { Attempt, AttemptDecision } from "./login_rate_limiter.ts";

/** Options of a {@link SignupLimiter}. */
export interface SignupLimiterOptions {
  /** New accounts per address per hour: the bucket's size and its refill per hour. */
  perHour: number;
  /** Clock in milliseconds; only differences matter (default `performance.now`). */
  now?: () => number;
  /** Most addresses tracked; the stalest without a signup in flight are dropped (default 100,000). */
  maxEntries?: number;
}

/** New accounts per address per hour when `serve` is given no `--signup-limit`. */
export const DEFAULT_SIGNUPS_PER_HOUR = 5;
/** The most `--signup-limit` accepts: beyond it the limit means nothing. */
export const MAX_SIGNUPS_PER_HOUR = 1_000_000;

interface Bucket {
  tokens: number;
  updatedAt: number;
  inFlight: number;
}

const HOUR = 3_600_000;

/**
 * A token bucket per address: `perHour` signups at once, then one more every hour / `perHour`.
 * A signup in flight holds a token until it is settled: a success spends it, a failure or
 * release gives it back. So over any hour an address creates at most 2 × `perHour` accounts,
 * and at most `perHour` in a burst, however many it starts in parallel. Memory is bounded.
 */
export class SignupLimiter {
  readonly #perHour: number;
  readonly #now: () => number;
  readonly #maxEntries: number;
  /** In order of last use (stalest first). */
  readonly #buckets = new Map<string, Bucket>();

  /** @throws {RangeError} when perHour or maxEntries is not a positive integer in range */
  constructor(options: SignupLimiterOptions) {
    const { perHour, maxEntries = 100_000 } = options;
    if (!Number.isSafeInteger(perHour) || perHour < 1 || perHour > MAX_SIGNUPS_PER_HOUR) {
      throw new RangeError(
        `Cannot create signup limiter: ${perHour} per hour is not an integer from 1 to ${MAX_SIGNUPS_PER_HOUR}`,
      );
    }
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`Cannot create signup limiter: maxEntries ${maxEntries} is invalid`);
    }
    this.#perHour = perHour;
    this.#now = options.now ?? (() => performance.now());
    this.#maxEntries = maxEntries;
  }

  /** The quota, for messages and logs. */
  get perHour(): number {
    return this.#perHour;
  }

  /** Lets a signup from `address` start, holding one of its tokens until it is settled. */
  reserve(address: string): AttemptDecision {
    const now = this.#now();
    const bucket = this.#refilled(address, now);
    const missing = bucket.inFlight + 1 - bucket.tokens;
    if (missing > 0) {
      return { allowed: false, retryAfterMs: Math.ceil((missing * HOUR) / this.#perHour) };
    }
    bucket.inFlight++;
    this.#touch(address, bucket);
    let settled = false;
    const settle = (spent: boolean) => () => {
      if (settled) return;
      settled = true;
      const current = this.#refilled(address, this.#now());
      current.inFlight = Math.max(0, current.inFlight - 1);
      if (spent) current.tokens -= 1;
      this.#touch(address, current);
    };
    const attempt: Attempt = { succeed: settle(true), fail: settle(false), release: settle(false) };
    return { allowed: true, attempt };
  }

  /** Number of addresses tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  /** The bucket of `address` with the tokens earned since its last update (full when new). */
  #refilled(address: string, now: number): Bucket {
    const bucket = this.#buckets.get(address);
    if (bucket === undefined) return { tokens: this.#perHour, updatedAt: now, inFlight: 0 };
    const earned = (Math.max(0, now - bucket.updatedAt) * this.#perHour) / HOUR;
    bucket.tokens = Math.min(this.#perHour, bucket.tokens + earned);
    bucket.updatedAt = now;
    return bucket;
  }

  /** Stores `bucket` as the most recently used; drops full idle buckets and, beyond the cap, the stalest. */
  #touch(address: string, bucket: Bucket): void {
    this.#buckets.delete(address);
    if (bucket.inFlight === 0 && bucket.tokens >= this.#perHour) return;
    this.#buckets.set(address, bucket);
    for (const [key, stale] of this.#buckets) {
      if (this.#buckets.size <= this.#maxEntries) break;
      if (stale.inFlight === 0) this.#buckets.delete(key);
    }
  }
}
