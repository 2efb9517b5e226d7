/**
 * Rate limits for logins, per client address and per user name, so passwords cannot be guessed
 * quickly from one place or against one account, and guesses against an account do not keep its
 * owner out.
 *
 * @module
 */
import { BackoffCounters, type Wait } from "./_backoff_counters.ts";
import { RecentAddresses } from "./_recent_addresses.ts";

/** Options of a {@link LoginRateLimiter}; all durations in milliseconds. */
export interface LoginRateLimiterOptions {
  /** Clock in milliseconds; only differences matter (default `performance.now`). */
  now?: () => number;
  /** Failures per user name before its back-off starts (default 5). */
  freeFailures?: number;
  /**
   * Failures per address before its back-off starts (default 4 × freeFailures): higher, because
   * several people may share one address behind NAT.
   */
  addressFreeFailures?: number;
  /** Quiet time after the end of a back-off after which its counter is forgotten (default 15 min). */
  windowMs?: number;
  /** First back-off, doubled for each further failure (default 1 s). */
  baseBackoffMs?: number;
  /** Longest back-off of a user name (default 1 min). */
  maxUserBackoffMs?: number;
  /** Longest back-off of an address (default 15 min). */
  maxAddressBackoffMs?: number;
  /** Addresses of successful logins remembered per user (default 4). */
  knownAddressesPerUser?: number;
  /** How long a successful login keeps its address known (default 14 days). */
  knownAddressTtlMs?: number;
  /** Most counters of each kind, and most users with known addresses (default 100,000). */
  maxEntries?: number;
}

/** An attempt the limiter let start; settle it exactly once (later calls do nothing). */
export interface Attempt {
  /** It succeeded. */
  succeed(): void;
  /** It failed: it counts against the limits. */
  fail(): void;
  /** It ended without a verdict (e.g. the store failed): it counts as neither. */
  release(): void;
}

/** Whether an attempt may start (it is then counted as in flight), and if not, when to retry. */
export type AttemptDecision =
  | { allowed: true; attempt: Attempt }
  | { allowed: false; retryAfterMs: number };

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * Limits login attempts by two counters, each counting failures plus attempts in flight (so
 * parallel guesses are limited like sequential ones; an attempt past the budget waits for those
 * in flight to settle rather than being refused, so parallel logins that succeed all go through):
 *
 * - per address, a hard back-off: after `addressFreeFailures` failures, one attempt at a time,
 *   each after a back-off that starts at 1 s and doubles per failure up to 15 min;
 * - per user name, a short delay: after `freeFailures` failures, one attempt at a time, each
 *   after a back-off that doubles from 1 s up to only 1 min. Addresses the user logged in from
 *   successfully in the last 14 days (the last 4) skip it, but not their own address limit.
 *
 * A success clears the user's counter, not the address's (or one account of an attacker's could
 * reset it between guesses against others). Memory is bounded. Each server process limits on its
 * own, in memory.
 */
export class LoginRateLimiter {
  readonly #now: () => number;
  readonly #users: BackoffCounters;
  readonly #addresses: BackoffCounters;
  readonly #known: RecentAddresses;
  /** Resolved (and replaced) whenever an attempt settles: waiting reservations then look again. */
  #settled: PromiseWithResolvers<void> | null = null;

  /** @throws {RangeError} when an option is not a positive number */
  constructor(options: LoginRateLimiterOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    const userFree = positive(options.freeFailures ?? 5, "freeFailures");
    const shared = {
      baseMs: positive(options.baseBackoffMs ?? 1000, "baseBackoffMs"),
      windowMs: positive(options.windowMs ?? 15 * MINUTE, "windowMs"),
      maxEntries: positive(options.maxEntries ?? 100_000, "maxEntries"),
    };
    this.#users = new BackoffCounters({
      ...shared,
      free: userFree,
      maxMs: positive(options.maxUserBackoffMs ?? MINUTE, "maxUserBackoffMs"),
    });
    this.#addresses = new BackoffCounters({
      ...shared,
      free: positive(options.addressFreeFailures ?? 4 * userFree, "addressFreeFailures"),
      maxMs: positive(options.maxAddressBackoffMs ?? 15 * MINUTE, "maxAddressBackoffMs"),
    });
    this.#known = new RecentAddresses({
      perUser: positive(options.knownAddressesPerUser ?? 4, "knownAddressesPerUser"),
      ttlMs: positive(options.knownAddressTtlMs ?? 14 * DAY, "knownAddressTtlMs"),
      maxUsers: shared.maxEntries,
    });
  }

  /**
   * Lets a login of `user` from `address` start, counting it as in flight until it is settled:
   * a success clears the user's failures and remembers the address, a failure counts against
   * both counters. Resolves once the attempt may start or must be refused; while the outcome of
   * attempts in flight decides that, it waits for them.
   */
  async reserve(address: string, user: string): Promise<AttemptDecision> {
    for (;;) {
      const now = this.#now();
      const known = this.#known.has(user, address, now);
      const wait = join(
        this.#addresses.wait(address, now),
        known ? 0 : this.#users.wait(user, now),
      );
      if (wait === 0) break;
      if (wait !== "settle") return { allowed: false, retryAfterMs: Math.ceil(wait) };
      await this.#nextSettle();
    }
    const now = this.#now();
    this.#addresses.begin(address, now);
    this.#users.begin(user, now);
    const attempt = this.#attempt((outcome, at) => {
      this.#addresses.end(address, outcome === "fail", at);
      this.#users.end(user, outcome === "fail", at);
      if (outcome === "succeed") {
        this.#users.clear(user);
        this.#known.remember(user, address, at);
      }
    });
    return { allowed: true, attempt };
  }

  /**
   * Lets an attempt that names no user (a signup) start under the address limit alone; only a
   * failure (a taken name) counts, a success or release does not.
   */
  async reserveAddress(address: string): Promise<AttemptDecision> {
    let wait: Wait;
    while ((wait = this.#addresses.wait(address, this.#now())) === "settle") {
      await this.#nextSettle();
    }
    if (wait > 0) return { allowed: false, retryAfterMs: Math.ceil(wait) };
    this.#addresses.begin(address, this.#now());
    const attempt = this.#attempt((outcome, at) => {
      this.#addresses.end(address, outcome === "fail", at);
    });
    return { allowed: true, attempt };
  }

  /** Number of counters held (for tests and metrics). */
  get size(): number {
    return this.#users.size + this.#addresses.size;
  }

  /** Resolves when the next attempt settles. */
  #nextSettle(): Promise<void> {
    this.#settled ??= Promise.withResolvers<void>();
    return this.#settled.promise;
  }

  /** An attempt whose first settlement runs `settle` and wakes waiting reservations. */
  #attempt(settle: (outcome: "succeed" | "fail" | "release", at: number) => void): Attempt {
    let done = false;
    const to = (outcome: "succeed" | "fail" | "release") => () => {
      if (done) return;
      done = true;
      settle(outcome, this.#now());
      const waiting = this.#settled;
      this.#settled = null;
      waiting?.resolve();
    };
    return { succeed: to("succeed"), fail: to("fail"), release: to("release") };
  }
}

/** Of two waits, the one that decides: a back-off first, then waiting for a settlement. */
function join(a: Wait, b: Wait): Wait {
  if (a === "settle") return b === "settle" || b === 0 ? "settle" : b;
  if (b === "settle") return a === 0 ? "settle" : a;
  return Math.max(a, b);
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`Cannot create rate limiter: ${name} ${value} is not a positive number`);
  }
  return value;
}
