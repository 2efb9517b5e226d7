/**
 * Shared repositories whose account was removed (`burrow userdel`), in `burrow_retired`: one row
 * per repository (`USER/CREATED`), with the removal time and, once it is to be deleted, where its
 * objects are (`purgeObjects`, e.g. `s3://BUCKET/PREFIX/USER/STAMP/`: a purge deletes there and
 * nowhere else, so one run with another `--store` cannot delete rows whose objects it missed). The row is added in the transaction that deletes the account, so an account is
 * never gone while its repository is not retired, nor retired while the account lives on.
 *
 * Invariants: no server takes a push or a prune of a retired repository (`postgres_gate.ts`
 * checks), so nothing is added to it once retired. A kept repository (no `purgeObjects`) is left
 * whole, rows and objects, out of reach of every login (a new account of the name has another
 * key). A purged one loses its objects first, then all its rows and its retired row in one
 * transaction: a purge cut short leaves the row, and whoever finds it later (`serve` on start,
 * `userdel`) finishes the purge.
 *
 * @module
 */
import type { Sql, TransactionSql } from "postgres";
import { repositoryKey } from "./_repository_schema.ts";

/** A retired repository. */
export interface RetiredRepository {
  /** Its key, `USER/CREATED`. */
  repo: string;
  user: string;
  /** The creation time of the removed account, ISO 8601 UTC. */
  created: string;
  /** When the account was removed, ISO 8601 UTC. */
  removed: string;
  /** Where its objects are when it is to be deleted (a purge not finished yet); null: kept. */
  purgeObjects: string | null;
}

/** The tables of every repository, which a purge empties of the repository's rows. */
const REPOSITORY_TABLES = [
  "burrow_chunks",
  "burrow_packs",
  "burrow_quarantine",
  "burrow_snapshots",
  "burrow_keys",
  "burrow_repositories",
] as const;

/**
 * Retires the repository of the account `user` created at `created`, in the caller's
 * transaction `tx` (the one that deletes the account): kept, or to be purged at `purgeObjects`.
 */
export async function retireRepository(
  tx: TransactionSql,
  user: string,
  created: string,
  purgeObjects: string | null,
): Promise<RetiredRepository> {
  const repo = repositoryKey(user, created);
  const [row] = await tx`INSERT INTO burrow_retired (repo, user_name, created, purge_objects)
    VALUES (${repo}, ${user}, ${created}, ${purgeObjects}) RETURNING ${tx(COLUMNS)}`;
  return fromRow(row!);
}

const COLUMNS = ["repo", "user_name", "created", "removed", "purge_objects"];

/** The retired repositories of the database of `sql`. */
export class RetiredRepositories {
  readonly #sql: Sql;

  /** Through the pool `sql`, whose tables `ensureRepositorySchema` made. */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /**
   * The retired repositories, oldest removal first: of `user` only when given, and only those
   * to be purged with `purging`.
   */
  async list(options: { user?: string; purging?: boolean } = {}): Promise<RetiredRepository[]> {
    const sql = this.#sql;
    const user = options.user ?? null;
    const rows = await sql`SELECT ${sql(COLUMNS)} FROM burrow_retired
      WHERE (${user}::text IS NULL OR user_name = ${user})
        AND (${options.purging !== true} OR purge_objects IS NOT NULL)
      ORDER BY removed, repo`;
    return rows.map(fromRow);
  }

  /** Marks the kept repository `repo` to be purged at `objects`. */
  async markPurge(repo: string, objects: string): Promise<void> {
    await this.#sql`UPDATE burrow_retired SET purge_objects = ${objects}
      WHERE repo = ${repo} AND purge_objects IS NULL`;
  }

  /** Whether the shared index lists any pack of the repository `repo`. */
  async hasPacks(repo: string): Promise<boolean> {
    const [row] = await this.#sql`SELECT EXISTS
      (SELECT 1 FROM burrow_packs WHERE repo = ${repo}) AS found`;
    return row?.found === true;
  }

  /**
   * Deletes every row of the retired repository `repo`, its retired row included, in one
   * transaction. Call once its objects are deleted.
   */
  async deleteRows(repo: string): Promise<void> {
    await this.#sql.begin(async (tx) => {
      for (const table of REPOSITORY_TABLES) {
        await tx`DELETE FROM ${tx(table)} WHERE repo = ${repo}`;
      }
      await tx`DELETE FROM burrow_retired WHERE repo = ${repo}`;
    });
  }
}

/** A `burrow_retired` row as the driver returns it. */
function fromRow(row: Record<string, unknown>): RetiredRepository {
  return {
    repo: row.repo as string,
    user: row.user_name as string,
    created: row.created as string,
    removed: (row.removed as Date).toISOString(),
    purgeObjects: (row.purge_objects as string | null) ?? null,
  };
}
