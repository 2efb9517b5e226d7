/**
 * Account operations behind the login protocol, free of sockets: the KDF challenge (a stable
 * fake one for unknown names), proof verification in the hash worker pool with rate limits,
 * signup (rate-limited and under a quota per address), password change, and the limits an
 * administrator set on an account (`limitsOf`). Unknown user and wrong password take the same
 * path and time; so do known and unknown names in a challenge. A disabled account is told so
 * only after a proof that verified: without the password, it looks like any failed login.
 *
 * @module
 */
import {
  type ClientKdf,
  clientKdfMeetsFloor,
  type ClientKdfParams,
  encodeClientKdf,
  fakeClientKdf,
  type HashParams,
  type HashPool,
  type LoginRateLimiter,
  needsRehash,
  parseClientKdf,
  type SignupLimiter,
} from "../auth/mod.ts";
import { AuthError, BurrowError, errorMessage, NotFoundError, UserExistsError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { AccountLimits } from "./account_limits.ts";
import { UNRESTRICTED, type UserStore } from "../users/user_store.ts";
import { validateUserName } from "../names.ts";
import { ServerMetrics } from "./metrics.ts";

/** Everything the account service needs; built once by the server. */
export interface AccountServiceOptions {
  store: UserStore;
  hashPool: HashPool;
  rateLimiter: LoginRateLimiter;
  /** New accounts per address (`serve --signup-limit`). */
  signupLimiter: SignupLimiter;
  serverSecret: Uint8Array;
  /** Parameters for new PHC verifiers; older ones are upgraded on login. */
  hashParams: HashParams;
  /** Parameters of the client KDF: fake challenges use them, signups must be at least as strong. */
  clientKdfParams: ClientKdfParams;
  allowSignup: boolean;
  /** The shortest new password, announced to clients (`serve --min-password-length`). */
  minPasswordLength: number;
  logger: Logger;
  /** Counts login attempts (default: counters no one reads). */
  metrics?: ServerMetrics;
  now?: () => Date;
  /**
   * The stable fake KDF string for a name (default: derived from `serverSecret` with
   * `fakeClientKdf`). Tests pass a counting one to see that every challenge computes it.
   */
  fakeKdf?: (name: string) => string;
}

const WRONG_LOGIN = "Cannot log in: wrong user name or password";
const DISABLED = "this account is disabled; ask the server's administrator";

/** The account a successful login is for. */
export interface LoggedInAccount {
  /** The account's creation time: it tells this account from an earlier one of the same name. */
  created: string;
  /** The password is a temporary one: the session may change it and do nothing else. */
  temporaryPassword: boolean;
}

/** Login, signup and password change for the server's sessions. */
export class AccountService {
  readonly #options: AccountServiceOptions;
  readonly #now: () => Date;
  readonly #fakeKdf: (name: string) => string;
  readonly #metrics: ServerMetrics;
  #decoyVerifier: Promise<string> | null = null;

  constructor(options: AccountServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#metrics = options.metrics ?? new ServerMetrics();
    const { serverSecret, clientKdfParams } = options;
    this.#fakeKdf = options.fakeKdf ??
      ((name) => encodeClientKdf(fakeClientKdf(serverSecret, name, clientKdfParams)));
  }

  /** Whether `signup` is open on this server. */
  get signupAllowed(): boolean {
    return this.#options.allowSignup;
  }

  /** The shortest new password this server wants, in characters; clients check it. */
  get minPasswordLength(): number {
    return this.#options.minPasswordLength;
  }

  /** Prepares the decoy verifier used for unknown names, so the first one is not slower. */
  async warmUp(): Promise<void> {
    await this.#decoy();
  }

  /**
   * The client KDF string for `name`: the real one, or a stable fake for an unknown name. Both
   * the fake and the store lookup are computed for every name, so the answer takes as long for
   * a known name as for an unknown one.
   */
  async challenge(name: string): Promise<string> {
    validateUserName(name);
    const fake = this.#fakeKdf(name);
    const record = await this.#options.store.get(name);
    return record?.kdf ?? fake;
  }

  /**
   * Checks the auth key a client derived for `name`. The attempt is counted against the rate
   * limits before the verification starts, so parallel guesses are limited like sequential ones.
   * @returns the account logged in to
   * @throws {AuthError} AUTH_FAILED for an unknown name or wrong key, RATE_LIMITED when blocked
   */
  async verify(name: string, authKey: Uint8Array, address: string): Promise<LoggedInAccount> {
    const { store, rateLimiter, logger } = this.#options;
    const gate = await rateLimiter.reserve(address, name);
    if (!gate.allowed) {
      this.#metrics.login("rate_limited");
      logger.warn("login refused: rate limited", {
        user: name,
        addr: address,
        retryAfterMs: gate.retryAfterMs,
      });
      throw rateLimited("log in", "too many failed attempts", gate.retryAfterMs);
    }
    const { attempt } = gate;
    try {
      const record = await store.get(name);
      const ok = await this.#check(authKey, record?.verifier ?? null, name);
      if (!ok || record === null) {
        attempt.fail();
        this.#metrics.login("failed");
        logger.warn("login failed", {
          user: name,
          addr: address,
          reason: record === null ? "unknown user" : "wrong password",
        });
        throw new AuthError(WRONG_LOGIN);
      }
      if (record.disabled) {
        // Only someone who knows the password learns that the account is disabled; the attempt
        // counts as a failure, so it buys no extra guesses at other accounts.
        attempt.fail();
        this.#metrics.login("failed");
        logger.warn("login refused: account disabled", { user: name, addr: address });
        throw new AuthError(`Cannot log in: ${DISABLED}`);
      }
      attempt.succeed();
      this.#metrics.login("ok");
      await store.update(name, { lastLogin: this.#now().toISOString() });
      const { created, temporaryPassword } = record;
      logger.info("login", {
        user: name,
        addr: address,
        temporaryPassword: temporaryPassword || undefined,
      });
      if (needsRehash(record.verifier, this.#options.hashParams)) {
        await this.#upgrade(name, authKey);
      }
      return { created, temporaryPassword };
    } finally {
      attempt.release();
    }
  }

  /**
   * Creates an account from a client-made KDF string and auth key. A taken name counts as a
   * failed attempt of the address (as a failed login does), a new account against the address's
   * signup quota.
   * @throws {AuthError} SIGNUP_DISABLED, or RATE_LIMITED when the address is blocked or over quota
   * @throws {UserExistsError} when the name is taken
   */
  async signup(name: string, kdf: string, authKey: Uint8Array, address: string): Promise<void> {
    if (!this.#options.allowSignup) {
      throw new AuthError(
        "Cannot sign up: this server does not allow signup (its operator can start it with --allow-signup)",
        "SIGNUP_DISABLED",
      );
    }
    validateUserName(name);
    this.#checkKdfStrength(kdf);
    const { rateLimiter, signupLimiter, logger } = this.#options;
    const gate = await rateLimiter.reserveAddress(address);
    if (!gate.allowed) {
      throw this.#signupRefused(name, address, "too many failed attempts", gate.retryAfterMs);
    }
    const { attempt } = gate;
    const quota = signupLimiter.reserve(address);
    if (!quota.allowed) {
      attempt.release();
      const reason = "too many signups from this address";
      throw this.#signupRefused(name, address, reason, quota.retryAfterMs);
    }
    try {
      // A taken name is refused before the hash, so probing for names costs the server little.
      if (await this.#options.store.get(name) !== null) throw new UserExistsError(name);
      const verifier = await this.#options.hashPool.hash(authKey, this.#options.hashParams);
      const created = this.#now().toISOString();
      const record = {
        name,
        created,
        lastLogin: null,
        kdf,
        verifier,
        temporaryPassword: false,
        ...UNRESTRICTED,
      };
      await this.#options.store.add(record);
      quota.attempt.succeed();
      logger.info("signup", { user: name, addr: address });
    } catch (error) {
      if (error instanceof UserExistsError) {
        attempt.fail();
        logger.warn("signup refused: name taken", { user: name, addr: address });
      }
      throw error;
    } finally {
      attempt.release();
      quota.attempt.release();
    }
  }

  #signupRefused(name: string, address: string, reason: string, retryAfterMs: number): AuthError {
    this.#options.logger.warn("signup refused: rate limited", {
      user: name,
      addr: address,
      reason,
      retryAfterMs,
    });
    return rateLimited("sign up", reason, retryAfterMs);
  }

  /**
   * The limits of the logged-in account `name` (created at `created`) as the user store holds
   * them now: the session asks before each request, so an administrator's change applies at once.
   * @throws {AuthError} AUTH_FAILED when the account was disabled since the login (the session
   *   ends)
   * @throws {NotFoundError} when it was removed, or replaced by a new account of the name
   */
  async limitsOf(name: string, created: string): Promise<AccountLimits> {
    const record = await this.#options.store.get(name);
    if (record === null || record.created !== created) {
      throw new NotFoundError(
        `Cannot continue: the account "${name}" you logged in with was removed`,
      );
    }
    if (record.disabled) {
      this.#options.logger.warn("session ended: account disabled", { user: name });
      throw new AuthError(`Cannot continue: ${DISABLED}`);
    }
    return { appendOnly: record.appendOnly, quota: record.quota };
  }

  /** The client KDF string of an existing user. @throws {NotFoundError} */
  async kdfOf(name: string): Promise<string> {
    const record = await this.#options.store.get(name);
    if (record === null) throw new NotFoundError(`Cannot find user "${name}"`);
    return record.kdf;
  }

  /**
   * Replaces a logged-in user's KDF salt and auth key: the old password stops working at once,
   * and a temporary password is one no more (in the same write).
   */
  async changePassword(name: string, kdf: string, authKey: Uint8Array): Promise<void> {
    this.#checkKdfStrength(kdf);
    const verifier = await this.#options.hashPool.hash(authKey, this.#options.hashParams);
    await this.#options.store.update(name, { kdf, verifier, temporaryPassword: false });
    this.#options.logger.info("password changed", { user: name });
  }

  #checkKdfStrength(kdf: string): void {
    let parsed: ClientKdf;
    try {
      parsed = parseClientKdf(kdf);
    } catch (error) {
      throw new BurrowError("PROTOCOL", `Cannot use KDF parameters: ${errorMessage(error)}`);
    }
    const floor = this.#options.clientKdfParams;
    if (!clientKdfMeetsFloor(parsed, floor)) {
      throw new BurrowError(
        "PROTOCOL",
        `Cannot use KDF parameters: weaker than this server's minimum (m=${floor.memoryKiB}, t=${floor.iterations}, p=${floor.parallelism})`,
      );
    }
  }

  /** Verifies against the stored verifier, or a decoy for an unknown name (same work, same time). */
  async #check(authKey: Uint8Array, verifier: string | null, name: string): Promise<boolean> {
    try {
      const ok = await this.#options.hashPool.verify(authKey, verifier ?? await this.#decoy());
      return ok && verifier !== null;
    } catch (error) {
      // A damaged verifier in the store: refuse the login and tell the operator, never the client.
      this.#options.logger.error("cannot verify login: stored verifier is unreadable", {
        user: name,
        error: errorMessage(error),
      });
      return false;
    }
  }

  async #upgrade(name: string, authKey: Uint8Array): Promise<void> {
    try {
      const verifier = await this.#options.hashPool.hash(authKey, this.#options.hashParams);
      await this.#options.store.update(name, { verifier });
      this.#options.logger.info("password hash upgraded", { user: name });
    } catch (error) {
      this.#options.logger.warn("cannot upgrade password hash", {
        user: name,
        error: errorMessage(error),
      });
    }
  }

  #decoy(): Promise<string> {
    this.#decoyVerifier ??= this.#options.hashPool.hash(
      crypto.getRandomValues(new Uint8Array(32)),
      this.#options.hashParams,
    );
    return this.#decoyVerifier;
  }
}

function rateLimited(action: string, reason: string, retryAfterMs: number): AuthError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AuthError(`Cannot ${action}: ${reason}, try again in ${seconds} s`, "RATE_LIMITED", {
    retryAfterMs,
  });
}
