/**
 * Snapshot records and wrapped keys of one repository in PostgreSQL (`_repository_schema.ts`):
 * each write is one statement, so it is atomic and durable once it resolves, and every server
 * of the service sees it at its next query. A snapshot commit is one INSERT that fails on an
 * existing id; a forget is one transaction that removes all the ids or none.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Sql } from "postgres";
import { BurrowError, NotFoundError } from "../../errors.ts";
import { validateSnapshotId } from "../../names.ts";
import { keyFileName } from "../layout.ts";
import {
  KEY_EXISTS_MESSAGE,
  type RepositoryRecords,
  snapshotExistsMessage,
  type SnapshotListing,
  snapshotMissingMessage,
} from "../repository_records.ts";

/** The records of repository `repo` (`repositoryKey`) in the database of `sql`. */
export class PostgresRecords implements RepositoryRecords {
  readonly #sql: Sql;
  readonly #repo: string;

  /** Records of `repo` through the pool `sql`, whose tables `ensureRepositorySchema` made. */
  constructor(sql: Sql, repo: string) {
    this.#sql = sql;
    this.#repo = repo;
  }

  async readKey(kdf: string): Promise<Uint8Array | null> {
    const [row] = await this.#sql`SELECT wrapped FROM burrow_keys
      WHERE repo = ${this.#repo} AND kdf_hash = ${keyFileName(kdf)}`;
    return row === undefined ? null : new Uint8Array(row.wrapped);
  }

  async writeKey(kdf: string, wrapped: Uint8Array, options: { createNew: boolean }): Promise<void> {
    const hash = keyFileName(kdf);
    const bytes = Buffer.from(wrapped);
    if (!options.createNew) {
      await this.#sql`INSERT INTO burrow_keys (repo, kdf_hash, wrapped)
        VALUES (${this.#repo}, ${hash}, ${bytes})
        ON CONFLICT (repo, kdf_hash) DO UPDATE SET wrapped = EXCLUDED.wrapped`;
      return;
    }
    const added = await this.#sql`INSERT INTO burrow_keys (repo, kdf_hash, wrapped)
      VALUES (${this.#repo}, ${hash}, ${bytes}) ON CONFLICT DO NOTHING`;
    if (added.count === 0) throw new BurrowError("CONFLICT", KEY_EXISTS_MESSAGE);
  }

  async removeKeysExcept(kdf: string): Promise<void> {
    await this.#sql`DELETE FROM burrow_keys
      WHERE repo = ${this.#repo} AND kdf_hash <> ${keyFileName(kdf)}`;
  }

  async listSnapshots(): Promise<SnapshotListing> {
    const rows = await this.#sql`SELECT id, record FROM burrow_snapshots
      WHERE repo = ${this.#repo} ORDER BY id`;
    return {
      snapshots: rows.map((row) => ({ id: row.id as string, record: new Uint8Array(row.record) })),
      unreadable: [],
    };
  }

  async writeSnapshot(id: string, record: Uint8Array): Promise<void> {
    validateSnapshotId(id);
    const added = await this.#sql`INSERT INTO burrow_snapshots (repo, id, record)
      VALUES (${this.#repo}, ${id}, ${Buffer.from(record)}) ON CONFLICT DO NOTHING`;
    if (added.count === 0) throw new BurrowError("CONFLICT", snapshotExistsMessage(id));
  }

  async forgetSnapshots(ids: readonly string[]): Promise<void> {
    ids.forEach((id) => validateSnapshotId(id));
    if (ids.length === 0) return;
    await this.#sql.begin(async (tx) => {
      const removed = await tx`DELETE FROM burrow_snapshots
        WHERE repo = ${this.#repo} AND id IN ${tx(ids as string[])} RETURNING id`;
      const gone = new Set(removed.map((row) => row.id as string));
      const missing = ids.find((id) => !gone.has(id));
      // Throwing rolls the transaction back: nothing is removed.
      if (missing !== undefined) throw new NotFoundError(snapshotMissingMessage(missing));
    });
  }
}
