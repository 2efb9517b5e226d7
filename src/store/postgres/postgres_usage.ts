/**
 * What shared repositories hold, for the administrator (`burrow users`) and the metrics, read
 * where every server records it: the stored bytes from `burrow_repositories.stored_bytes` (kept
 * by the shared chunk index), the snapshot count and the last commit time from
 * `burrow_snapshots`. So every server and admin command reads the same figures, whichever server
 * the pushes went through.
 *
 * @module
 */
import type { Sql } from "postgres";
import { repositoryKey } from "./_repository_schema.ts";

/** A shared repository's usage. */
export interface SharedUsage {
  /** Bytes of the blobs its index locates. */
  storedBytes: number;
  /** How many snapshots it holds. */
  snapshots: number;
  /** When its last snapshot still held was committed, ISO 8601 UTC, or null. */
  lastPush: string | null;
}

/**
 * The usage of the repositories of `accounts`, by user name; an account whose repository holds
 * nothing yet reads as zero.
 */
export async function sharedUsage(
  sql: Sql,
  accounts: readonly { name: string; created: string }[],
): Promise<Map<string, SharedUsage>> {
  const byRepo = new Map(accounts.map((a) => [repositoryKey(a.name, a.created), a.name]));
  const usage = new Map<string, SharedUsage>(
    accounts.map((a) => [a.name, { storedBytes: 0, snapshots: 0, lastPush: null }]),
  );
  if (accounts.length === 0) return usage;
  const repos = [...byRepo.keys()];
  const bytes = await sql`SELECT repo, stored_bytes FROM burrow_repositories
    WHERE repo = ANY(${repos}::text[])`;
  for (const row of bytes) {
    usage.get(byRepo.get(row.repo as string)!)!.storedBytes = Number(row.stored_bytes);
  }
  const snapshots = await sql`SELECT repo, count(*) AS n, max(committed) AS last
    FROM burrow_snapshots WHERE repo = ANY(${repos}::text[]) GROUP BY repo`;
  for (const row of snapshots) {
    const entry = usage.get(byRepo.get(row.repo as string)!)!;
    entry.snapshots = Number(row.n);
    entry.lastPush = row.last === null ? null : new Date(row.last as string | Date).toISOString();
  }
  return usage;
}
