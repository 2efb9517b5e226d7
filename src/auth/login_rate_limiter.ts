/**
 * Rate limits for failed logins, per client address and per user name, so passwords cannot be
 * guessed quickly from one place or against one account.
 *
 * @module
 */

/** Options of a {@link LoginRateLimiter}; all durations in milliseconds. */
export interface LoginRateLimiterOptions {
  /** Clock in milliseconds; only differences matter (default `performance.now`). */
  now?: () => number;
  /** Failures per user name before back-off starts (default 5). */
  freeFailures?: number;
  /**
   * Failures per address before back-off starts (default 4 × freeFailures): higher, because
   * several people may share one address behind NAT.
   */
  addressFreeFailures?: number;
  /** Quiet time after which a counter is forgotten (default 15 min). */
  windowMs?: number;
  /** First back-off, doubled for each further failure (default 1 s). */
  baseBackoffMs?: number;
  /** Longest back-off (default 15 min). */
  maxBackoffMs?: number;
  /** Most counters kept; the least recently failed are dropped beyond it (default 100,000). */
  maxEntries?: number;
}

/** Whether a login attempt may go ahead, and if not, when to retry. */
export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

interface Counter {
  failures: number;
  blockedUntil: number;
  expiresAt: number;
}

const MINUTE = 60_000;

/**
 * Counts failed logins per address and per user name. Once a key has `freeFailures` failures,
 * each further attempt must wait a back-off that starts at 1 s and doubles per failure up to
 * 15 min. A counter is forgotten after `windowMs` without failures, counted from the end of its
 * back-off: a persistent guesser stays at one try per maximum back-off. Memory is bounded.
 * Not thread-safe across processes: each server instance limits on its own.
 */
export class LoginRateLimiter {
  readonly #now: () => number;
  readonly #userFree: number;
  readonly #addressFree: number;
  readonly #windowMs: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #maxEntries: number;
  /** Keys "a:<address>" and "u:<user>", in order of their last failure (oldest first). */
  readonly #counters = new Map<string, Counter>();

  /** @throws {RangeError} when an option is not a positive number */
  constructor(options: LoginRateLimiterOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#userFree = positive(options.freeFailures ?? 5, "freeFailures");
    this.#addressFree = positive(
      options.addressFreeFailures ?? 4 * this.#userFree,
      "addressFreeFailures",
    );
    this.#windowMs = positive(options.windowMs ?? 15 * MINUTE, "windowMs");
    this.#baseMs = positive(options.baseBackoffMs ?? 1000, "baseBackoffMs");
    this.#maxMs = positive(options.maxBackoffMs ?? 15 * MINUTE, "maxBackoffMs");
    this.#maxEntries = positive(options.maxEntries ?? 100_000, "maxEntries");
  }

  /** Whether an attempt from `address` for `user` may go ahead now; it records nothing. */
  check(address: string, user: string): RateLimitDecision {
    const now = this.#now();
    const wait = Math.max(this.#waitMs(`a:${address}`, now), this.#waitMs(`u:${user}`, now));
    return wait > 0 ? { allowed: false, retryAfterMs: Math.ceil(wait) } : { allowed: true };
  }

  /** Records a failed login (wrong password or unknown user) against both keys. */
  recordFailure(address: string, user: string): void {
    const now = this.#now();
    this.#fail(`a:${address}`, this.#addressFree, now);
    this.#fail(`u:${user}`, this.#userFree, now);
    this.#evict(now);
  }

  /**
   * Records a successful login: clears the user's counter. The address counter is kept (it
   * expires on its own), or one account of an attacker's could reset it between guesses
   * against other users.
   */
  recordSuccess(_address: string, user: string): void {
    this.#counters.delete(`u:${user}`);
  }

  /** Number of counters held (for tests and metrics). */
  get size(): number {
    return this.#counters.size;
  }

  #waitMs(key: string, now: number): number {
    const counter = this.#counters.get(key);
    if (counter === undefined) return 0;
    if (now >= counter.expiresAt) {
      this.#counters.delete(key);
      return 0;
    }
    return Math.max(0, counter.blockedUntil - now);
  }

  #fail(key: string, free: number, now: number): void {
    const old = this.#counters.get(key);
    const failures = old === undefined || now >= old.expiresAt ? 1 : old.failures + 1;
    const blockedUntil = failures >= free ? now + this.#backoffMs(failures - free) : now;
    // Re-inserting keeps the map ordered by last failure, so eviction drops the stalest.
    this.#counters.delete(key);
    this.#counters.set(key, { failures, blockedUntil, expiresAt: blockedUntil + this.#windowMs });
  }

  #backoffMs(extraFailures: number): number {
    return Math.min(this.#baseMs * 2 ** Math.min(extraFailures, 52), this.#maxMs);
  }

  /** Drops expired counters from the stale end, then the stalest beyond maxEntries. */
  #evict(now: number): void {
    for (const [key, counter] of this.#counters) {
      if (now < counter.expiresAt && this.#counters.size <= this.#maxEntries) break;
      this.#counters.delete(key);
    }
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`Cannot create rate limiter: ${name} ${value} is not a positive number`);
  }
  return value;
}
