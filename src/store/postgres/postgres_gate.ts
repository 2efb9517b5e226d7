/**
 * The push/prune rule of `prune_gate.ts` across every server of a service, with PostgreSQL
 * advisory locks: a server holds a repository's lock shared while any push to it runs there, and
 * a prune holds it exclusively. A prune first takes the repository's "prune intent" lock, which
 * new pushes on any server check, so pushes that keep starting elsewhere cannot starve it. The
 * waiting side is told so at once: a push meets BUSY while a prune runs or waits anywhere, and a
 * prune that cannot get the lock within its wait meets BUSY naming the pushes. `userdel` holds
 * the lock exclusively too, while it retires and purges a repository (`holdForRemoval`).
 *
 * Invariants: all of one server's locks live on one reserved connection, so they end with it: a
 * server that dies, or loses its database connection, holds nothing. A push or a prune that got
 * the lock checks, in a later statement, that the repository is not retired
 * (`postgres_retired.ts`): `userdel` retires it while holding the lock exclusively, so a push or
 * prune either ran before, and kept `userdel` out, or sees the retirement and lets go.
 *
 * @module
 */
import type { ReservedSql, Sql } from "postgres";
import { BurrowError, NotFoundError } from "../../errors.ts";

/** How often a waiting prune asks again. */
const RETRY_MS = 100;

/** One server's connection for the advisory locks of every repository it serves. */
export class PostgresLocks {
  readonly #sql: Sql;
  #connection: Promise<ReservedSql> | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  /** Locks through a connection reserved from `sql` at first use. */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** The gate of repository `repo` (`repositoryKey`) on this server. */
  gate(repo: string): PostgresGate {
    return new PostgresGate(this, repo);
  }

  /**
   * Runs `query` on the lock connection, one query at a time.
   * @returns whether its first row's `ok` is true
   */
  ask(query: (sql: ReservedSql) => Promise<readonly Record<string, unknown>[]>): Promise<boolean> {
    const run = this.#queue.then(async () => {
      this.#connection ??= this.#sql.reserve();
      const connection = await this.#connection.catch((error) => {
        this.#connection = null;
        throw error;
      });
      const [row] = await query(connection);
      return row?.ok === true;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Gives the connection back to the pool, which ends every lock on it. */
  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = null;
    if (connection === null) return;
    const reserved = await connection.catch(() => null);
    if (reserved === null) return;
    await reserved`SELECT pg_advisory_unlock_all()`.catch(() => {});
    reserved.release();
  }
}

/** The cross-server push/prune gate of one repository, as one server holds it. */
export class PostgresGate {
  readonly #locks: PostgresLocks;
  readonly #repo: string;
  #pushes = 0;
  #entering: Promise<void> | null = null;

  constructor(locks: PostgresLocks, repo: string) {
    this.#locks = locks;
    this.#repo = repo;
  }

  /**
   * Holds the repository's lock shared for one more push on this server; call the returned
   * function once to leave. @throws {BurrowError} BUSY while a prune runs or waits on any server
   * @throws {NotFoundError} when the repository is retired
   */
  async enterPush(action: string): Promise<() => Promise<void>> {
    while (this.#entering !== null) await this.#entering.catch(() => {});
    if (this.#pushes === 0) {
      const entering = this.#takeShared(action);
      this.#entering = entering;
      try {
        await entering;
      } finally {
        this.#entering = null;
      }
    } else if (!await this.#noPruneWaits()) {
      // This server holds the lock for other pushes already, but a prune waits for them.
      throw pruneRunning(action);
    }
    this.#pushes++;
    let left = false;
    return async () => {
      if (left) return;
      left = true;
      if (--this.#pushes > 0) return;
      await this.#unlockShared();
    };
  }

  async #takeShared(action: string): Promise<void> {
    const repo = this.#repo;
    const free = await this.#locks.ask((sql) =>
      // The intent lock is free unless a prune holds it: taken shared and let go at once.
      sql`SELECT CASE WHEN pg_try_advisory_lock_shared(hashtextextended(${repo}, 1))
        THEN pg_advisory_unlock_shared(hashtextextended(${repo}, 1))
          AND pg_try_advisory_lock_shared(hashtextextended(${repo}, 0))
        ELSE false END AS ok`
    );
    if (!free) throw pruneRunning(action);
    if (await this.#isRetired()) {
      await this.#unlockShared();
      throw retired(action);
    }
  }

  /** Whether no prune holds the intent lock (taken shared and let go at once). */
  #noPruneWaits(): Promise<boolean> {
    const repo = this.#repo;
    return this.#locks.ask((sql) =>
      sql`SELECT CASE WHEN pg_try_advisory_lock_shared(hashtextextended(${repo}, 1))
        THEN pg_advisory_unlock_shared(hashtextextended(${repo}, 1)) ELSE false END AS ok`
    );
  }

  #unlockShared(): Promise<boolean> {
    return this.#locks.ask((sql) =>
      sql`SELECT pg_advisory_unlock_shared(hashtextextended(${this.#repo}, 0)) AS ok`
    );
  }

  /** Whether the repository is retired (a statement of its own, after the lock was taken). */
  #isRetired(): Promise<boolean> {
    return this.#locks.ask((sql) =>
      sql`SELECT EXISTS (SELECT 1 FROM burrow_retired WHERE repo = ${this.#repo}) AS ok`
    );
  }

  /**
   * Takes the repository's lock exclusively once no server runs a push, waiting up to `waitMs`;
   * call the returned function once to leave.
   * @throws {BurrowError} BUSY when another prune holds it, or pushes still do after `waitMs`
   * @throws {NotFoundError} when the repository is retired
   */
  async enterPrune(waitMs: number): Promise<() => Promise<void>> {
    const leave = await this.#takeExclusive(waitMs, {
      held: "Cannot prune: another prune of this repository is running",
      pushing:
        "Cannot prune: a push to this repository is still running on another server; try again when it is done",
    });
    if (await this.#isRetired()) {
      await leave();
      throw retired("prune");
    }
    return leave;
  }

  /**
   * Takes the repository's lock exclusively for `userdel`, retired or not, waiting up to `waitMs`
   * for pushes and prunes on any server to end; call the returned function once to leave.
   * @returns null when a push, a prune or another removal still holds it after `waitMs`
   */
  async holdForRemoval(waitMs: number): Promise<(() => Promise<void>) | null> {
    return await this.#takeExclusive(waitMs, { held: "", pushing: "" }).catch((error) => {
      if (error instanceof BurrowError && error.code === "BUSY") return null;
      throw error;
    });
  }

  /** Takes the intent lock, then the lock exclusively; BUSY with `messages` when it cannot. */
  async #takeExclusive(
    waitMs: number,
    messages: { held: string; pushing: string },
  ): Promise<() => Promise<void>> {
    const repo = this.#repo;
    const intent = await this.#locks.ask((sql) =>
      sql`SELECT pg_try_advisory_lock(hashtextextended(${repo}, 1)) AS ok`
    );
    if (!intent) throw new BurrowError("BUSY", messages.held);
    const leaveIntent = () =>
      this.#locks.ask((sql) => sql`SELECT pg_advisory_unlock(hashtextextended(${repo}, 1)) AS ok`);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const held = await this.#locks.ask((sql) =>
        sql`SELECT pg_try_advisory_lock(hashtextextended(${repo}, 0)) AS ok`
      );
      if (held) break;
      if (Date.now() >= deadline) {
        await leaveIntent();
        throw new BurrowError("BUSY", messages.pushing);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    let left = false;
    return async () => {
      if (left) return;
      left = true;
      await this.#locks.ask((sql) =>
        sql`SELECT pg_advisory_unlock(hashtextextended(${repo}, 0)) AS ok`
      );
      await leaveIntent();
    };
  }
}

/** The error for a push while a prune runs or waits on another server. */
function pruneRunning(action: string): BurrowError {
  return new BurrowError(
    "BUSY",
    `Cannot ${action}: a prune of this repository is running on another server; try again when it is done`,
  );
}

/** The error for a push or prune of a retired repository. */
function retired(action: string): NotFoundError {
  return new NotFoundError(`Cannot ${action}: the account of this repository was removed`);
}
