/**
 * Who gets a connection slot. Connections that have not logged in yet cost an attacker nothing,
 * so they have their own pool, smaller than the server's cap, and a share of it per address;
 * when a pool is full, the newcomer gets in and a connection of that pool goes: one of the address
 * that holds the most, the least advanced of those, the oldest among equals. So an address that
 * keeps refreshing idle connections evicts its own, not a slow client from elsewhere. A newcomer
 * is refused only when logged-in connections fill the cap.
 *
 * Invariants: connections counted ≤ `maxConnections`; connections not logged in ≤
 * `maxUnauthenticated`; per address ≤ `maxUnauthenticatedPerAddress`. A connection leaves the
 * count when it is evicted or removed, never twice.
 *
 * @module
 */

/** The caps `Admission` keeps. */
export interface AdmissionLimits {
  /** Connections at once, logged in or not. */
  maxConnections: number;
  /** Connections at once that have not logged in. */
  maxUnauthenticated: number;
  /** Connections at once from one address that have not logged in. */
  maxUnauthenticatedPerAddress: number;
}

/** What `admit` decided: whether the newcomer is in, and whom it displaced. */
export interface AdmitDecision<T> {
  admitted: boolean;
  /** Connections to close now (no longer counted). */
  evicted: T[];
}

interface Entry {
  address: string;
  order: number;
}

/**
 * Counts connections by address and login; `progressOf` says how far a connection not yet logged
 * in has got (higher is further), read when a choice must be made.
 */
export class Admission<T> {
  readonly #limits: AdmissionLimits;
  readonly #progressOf: (connection: T) => number;
  readonly #waiting = new Map<T, Entry>();
  readonly #byAddress = new Map<string, Set<T>>();
  readonly #loggedIn = new Set<T>();
  #order = 0;

  constructor(limits: AdmissionLimits, progressOf: (connection: T) => number) {
    this.#limits = limits;
    this.#progressOf = progressOf;
  }

  /** Counts a newly accepted connection from `address`, evicting others to make room. */
  admit(connection: T, address: string): AdmitDecision<T> {
    const { maxConnections, maxUnauthenticated, maxUnauthenticatedPerAddress } = this.#limits;
    const evicted: T[] = [];
    const evictFrom = (pool: Iterable<T>) => {
      const victim = this.#victim(pool);
      if (victim !== undefined) {
        this.remove(victim);
        evicted.push(victim);
      }
    };
    const own = this.#byAddress.get(address);
    if (own !== undefined && own.size >= maxUnauthenticatedPerAddress) evictFrom(own);
    if (this.#waiting.size >= maxUnauthenticated) evictFrom(this.#waiting.keys());
    if (this.#waiting.size + this.#loggedIn.size >= maxConnections) {
      evictFrom(this.#waiting.keys());
      if (this.#waiting.size + this.#loggedIn.size >= maxConnections) {
        return { admitted: false, evicted };
      }
    }
    this.#waiting.set(connection, { address, order: this.#order++ });
    const set = this.#byAddress.get(address) ?? new Set();
    set.add(connection);
    this.#byAddress.set(address, set);
    return { admitted: true, evicted };
  }

  /** Moves a connection from the pre-login pool to the logged-in ones. */
  loggedIn(connection: T): void {
    if (!this.#waiting.has(connection)) return;
    this.remove(connection);
    this.#loggedIn.add(connection);
  }

  /** Stops counting a connection (it closed). Idempotent. */
  remove(connection: T): void {
    this.#loggedIn.delete(connection);
    const entry = this.#waiting.get(connection);
    if (entry === undefined) return;
    this.#waiting.delete(connection);
    const set = this.#byAddress.get(entry.address);
    set?.delete(connection);
    if (set?.size === 0) this.#byAddress.delete(entry.address);
  }

  /** How many connections are counted: not logged in, and logged in. */
  get counts(): { unauthenticated: number; loggedIn: number } {
    return { unauthenticated: this.#waiting.size, loggedIn: this.#loggedIn.size };
  }

  /**
   * The connection of `pool` to evict: from the address with the most connections not logged in,
   * the one that got least far, the oldest among equals.
   */
  #victim(pool: Iterable<T>): T | undefined {
    let best: T | undefined;
    let bestKey: [number, number, number] = [Infinity, Infinity, Infinity];
    for (const connection of pool) {
      const entry = this.#waiting.get(connection);
      if (entry === undefined) continue;
      const share = this.#byAddress.get(entry.address)?.size ?? 0;
      const key: [number, number, number] = [-share, this.#progressOf(connection), entry.order];
      if (isBefore(key, bestKey)) {
        best = connection;
        bestKey = key;
      }
    }
    return best;
  }
}

/** Lexicographic order of keys of equal length. */
function isBefore(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}
