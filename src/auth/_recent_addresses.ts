/**
 * The addresses each user logged in from recently, in bounded memory: the login rate limiter
 * lets them past the per-user back-off, so guesses from elsewhere cannot keep the user out.
 *
 * @module
 */

/** Bounds of a {@link RecentAddresses}. */
export interface RecentAddressesOptions {
  /** Addresses kept per user; the least recently used is dropped beyond it. */
  perUser: number;
  /** How long a successful login keeps its address known, in milliseconds. */
  ttlMs: number;
  /** Users kept; the one whose last success is oldest is dropped beyond it. */
  maxUsers: number;
}

/**
 * Per user, the last `perUser` addresses of successful logins and when each was last used.
 * Holds at most `maxUsers × perUser` entries.
 */
export class RecentAddresses {
  readonly #options: RecentAddressesOptions;
  /** User → (address → time of the last success), both in order of use (oldest first). */
  readonly #users = new Map<string, Map<string, number>>();

  constructor(options: RecentAddressesOptions) {
    this.#options = options;
  }

  /** Number of users held. */
  get size(): number {
    return this.#users.size;
  }

  /** Whether `user` logged in successfully from `address` within the last `ttlMs`. */
  has(user: string, address: string, now: number): boolean {
    const at = this.#users.get(user)?.get(address);
    return at !== undefined && now - at < this.#options.ttlMs;
  }

  /** Records a successful login of `user` from `address`. */
  remember(user: string, address: string, now: number): void {
    const addresses = this.#users.get(user) ?? new Map<string, number>();
    this.#users.delete(user);
    this.#users.set(user, addresses);
    addresses.delete(address);
    addresses.set(address, now);
    for (const oldest of addresses.keys()) {
      if (addresses.size <= this.#options.perUser) break;
      addresses.delete(oldest);
    }
    for (const oldest of this.#users.keys()) {
      if (this.#users.size <= this.#options.maxUsers) break;
      this.#users.delete(oldest);
    }
  }
}
