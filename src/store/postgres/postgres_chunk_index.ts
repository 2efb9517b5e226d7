/**
 * A `SharedChunkIndex` in PostgreSQL (`_repository_schema.ts`): `burrow_packs`, `burrow_chunks`
 * and the repository's row in `burrow_repositories` (its last batch number and its epoch). A
 * writer takes that row's lock first (`UPDATE … RETURNING`), so batches of one repository commit
 * in the order of their numbers and a reader that saw batch N never misses a batch below it.
 * The same row counts the bytes of the blobs located (`stored_bytes`, what a quota and `burrow
 * users` read): raised in the transaction that adds a pack, counted again from the rows in the
 * one that replaces packs.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Sql, TransactionSql } from "postgres";
import type { PackVersion } from "../_pack_format.ts";
import type {
  SharedChanges,
  SharedChunkIndex,
  SharedCursor,
  SharedLocation,
  SharedPack,
} from "../chunk_index_shared.ts";

/** Rows sent per INSERT. */
const BATCH_ROWS = 5000;

/** The chunk index of repository `repo` (`repositoryKey`) in the database of `sql`. */
export class PostgresChunkIndex implements SharedChunkIndex {
  readonly #sql: Sql;
  readonly #repo: string;

  /** The index of `repo` through the pool `sql`, whose tables `ensureRepositorySchema` made. */
  constructor(sql: Sql, repo: string) {
    this.#sql = sql;
    this.#repo = repo;
  }

  changesSince(cursor: SharedCursor | null): Promise<SharedChanges> {
    return this.#sql.begin("isolation level repeatable read", async (tx) => {
      const [state] = await tx`SELECT seq, epoch FROM burrow_repositories
        WHERE repo = ${this.#repo}`;
      const now = { seq: Number(state?.seq ?? 0), epoch: Number(state?.epoch ?? 0) };
      const after = cursor?.seq ?? -1;
      const epochChanged = cursor !== null && cursor.epoch !== now.epoch;
      const packNames = epochChanged
        ? new Set((await tx`SELECT name FROM burrow_packs WHERE repo = ${this.#repo}`).map(
          (row) => row.name as string,
        ))
        : null;
      const packs = await tx`SELECT name, version, size FROM burrow_packs
        WHERE repo = ${this.#repo} AND seq > ${after}`;
      const rows = await tx`SELECT id, pack, "offset", length FROM burrow_chunks
        WHERE repo = ${this.#repo} AND seq > ${after}`;
      const setAside = cursor === null ? [] : await tx`SELECT pack, id FROM burrow_quarantine
        WHERE repo = ${this.#repo} AND seq > ${after}`;
      return {
        cursor: now,
        packNames,
        packs: packs.map((row) => ({
          name: row.name as string,
          version: Number(row.version) as PackVersion,
          size: Number(row.size),
        })),
        rows: rows.map(toLocation),
        setAside: setAside.map((row) => ({
          pack: row.pack as string,
          id: new Uint8Array(row.id as Uint8Array),
        })),
      };
    });
  }

  addPack(
    pack: SharedPack,
    blobs: SharedLocation[],
  ): Promise<(SharedLocation & { pack: string })[]> {
    return this.#sql.begin(async (tx) => {
      const seq = await nextBatch(tx, this.#repo, false);
      const inserted = await insertPack(tx, this.#repo, seq, pack, blobs);
      await tx`UPDATE burrow_repositories SET stored_bytes = stored_bytes + ${inserted.bytes}
        WHERE repo = ${this.#repo}`;
      if (inserted.count === blobs.length) return [];
      const ids = blobs.map(hexId);
      const rows = await tx`SELECT id, pack, "offset", length FROM burrow_chunks
        WHERE repo = ${this.#repo} AND id = ANY(${ids}::bytea[]) AND pack <> ${pack.name}`;
      return rows.map(toLocation);
    });
  }

  async replacePacks(
    removed: string[],
    added: { pack: SharedPack; blobs: SharedLocation[] }[],
  ): Promise<void> {
    await this.#sql.begin(async (tx) => {
      const seq = await nextBatch(tx, this.#repo, true);
      if (removed.length > 0) {
        await tx`DELETE FROM burrow_chunks WHERE repo = ${this.#repo} AND pack IN ${tx(removed)}`;
        await tx`DELETE FROM burrow_packs WHERE repo = ${this.#repo} AND name IN ${tx(removed)}`;
        await tx`DELETE FROM burrow_quarantine
          WHERE repo = ${this.#repo} AND pack IN ${tx(removed)}`;
      }
      for (const { pack, blobs } of added) await insertPack(tx, this.#repo, seq, pack, blobs);
      await recountBytes(tx, this.#repo);
    });
  }

  setAside(
    blobs: readonly { pack: string; id: Uint8Array }[],
    max: number,
  ): Promise<{ pack: string; id: Uint8Array }[]> {
    return this.#sql.begin(async (tx) => {
      const seq = await nextBatch(tx, this.#repo, false);
      const [held] = await tx`SELECT count(*) AS n FROM burrow_quarantine
        WHERE repo = ${this.#repo}`;
      let room = max - Number(held!.n);
      const done: { pack: string; id: Uint8Array }[] = [];
      for (const blob of blobs) {
        if (room <= 0) break;
        const id = hexId(blob);
        const gone = await tx`DELETE FROM burrow_chunks
          WHERE repo = ${this.#repo} AND id = ${id}::bytea AND pack = ${blob.pack}`;
        if (gone.count === 0) continue;
        await tx`INSERT INTO burrow_quarantine (repo, pack, id, seq)
          VALUES (${this.#repo}, ${blob.pack}, ${id}::bytea, ${seq}) ON CONFLICT DO NOTHING`;
        done.push(blob);
        room--;
      }
      await recountBytes(tx, this.#repo);
      return done;
    });
  }
}

/** Takes the repository row's lock and the next batch number (raising the epoch if asked). */
async function nextBatch(tx: TransactionSql, repo: string, newEpoch: boolean): Promise<number> {
  const bump = newEpoch ? 1 : 0;
  const [row] = await tx`INSERT INTO burrow_repositories (repo, seq, epoch) VALUES (${repo}, 1, 0)
    ON CONFLICT (repo) DO UPDATE SET seq = burrow_repositories.seq + 1,
      epoch = burrow_repositories.epoch + ${bump}
    RETURNING seq`;
  return Number(row!.seq);
}

/** Sets the repository's stored bytes to the sum of its located blobs' lengths. */
export async function recountBytes(tx: TransactionSql, repo: string): Promise<void> {
  await tx`UPDATE burrow_repositories SET stored_bytes =
    (SELECT coalesce(sum(length), 0) FROM burrow_chunks WHERE repo = ${repo})
    WHERE repo = ${repo}`;
}

/** A blob's id as a bytea literal. */
function hexId(blob: { id: Uint8Array }): string {
  return "\\x" + Buffer.from(blob.id).toString("hex");
}

/** A location from a `burrow_chunks` row. */
function toLocation(row: Record<string, unknown>): SharedLocation & { pack: string } {
  return {
    id: new Uint8Array(row.id as Uint8Array),
    pack: row.pack as string,
    offset: Number(row.offset),
    length: Number(row.length),
  };
}

/**
 * Inserts a pack and its blobs' rows (ids located already keep their row).
 * @returns how many rows it inserted, and the sum of their lengths
 */
async function insertPack(
  tx: TransactionSql,
  repo: string,
  seq: number,
  pack: SharedPack,
  blobs: SharedLocation[],
): Promise<{ count: number; bytes: number }> {
  const inserted = { count: 0, bytes: 0 };
  await tx`INSERT INTO burrow_packs (repo, name, version, size, seq)
    VALUES (${repo}, ${pack.name}, ${pack.version}, ${pack.size}, ${seq})`;
  for (let start = 0; start < blobs.length; start += BATCH_ROWS) {
    const part = blobs.slice(start, start + BATCH_ROWS);
    const done = await tx`INSERT INTO burrow_chunks (repo, id, pack, "offset", length, seq)
      SELECT ${repo}, * , ${seq}::bigint FROM unnest(
        ${part.map(hexId)}::bytea[],
        ${part.map(() => pack.name)}::text[],
        ${part.map((b) => b.offset)}::bigint[],
        ${part.map((b) => b.length)}::integer[])
      ON CONFLICT (repo, id) DO NOTHING
      RETURNING length`;
    inserted.count += done.count;
    for (const row of done) inserted.bytes += Number(row.length);
  }
  return inserted;
}
