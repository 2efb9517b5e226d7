/**
 * The PostgreSQL tables of shared repositories and how they are created and migrated:
 * `burrow_snapshots` (sealed snapshot records, with the time each was committed), `burrow_keys`
 * (wrapped master keys), the chunk index of the S3 packs (`postgres_chunk_index.ts`):
 * `burrow_packs`, `burrow_chunks` (one location per chunk id, and the batch `seq` that added it,
 * so a server can fetch what other servers added since it last looked), `burrow_quarantine`
 * (blobs set aside as damaged, by the batch that set them aside) and `burrow_repositories` (each
 * repository's last batch, epoch and stored bytes), and `burrow_retired` (repositories whose
 * account was removed, `postgres_retired.ts`). Every row is keyed by the repository:
 * `USER/CREATED`, so a new account of a reused name never meets an earlier account's rows.
 *
 * Creation and migration run in one transaction under the advisory lock the user store's schema
 * takes, and record version `REPOSITORIES_VERSION` in `burrow_schema`; a newer version is
 * refused, unchanged. A migration only adds (tables, columns, indexes), so servers of the
 * previous version keep working on a migrated database until they are upgraded.
 *
 * @module
 */
import type { Sql, TransactionSql } from "postgres";

/** This component's row in `burrow_schema`. */
export const REPOSITORIES_COMPONENT = "repositories";
/** The schema version these tables have. */
export const REPOSITORIES_VERSION = 2;
/** The advisory lock key of schema changes: the user store's ("burrow" in ASCII). */
const SCHEMA_LOCK_KEY = 0x627572726f77;

/** The statements that bring the tables from version N (the index) to N + 1. */
const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE IF NOT EXISTS burrow_schema (
      component text PRIMARY KEY,
      version integer NOT NULL
    )`,
    `CREATE TABLE burrow_snapshots (
      repo text COLLATE "C" NOT NULL,
      id text COLLATE "C" NOT NULL,
      record bytea NOT NULL,
      PRIMARY KEY (repo, id)
    )`,
    `CREATE TABLE burrow_keys (
      repo text COLLATE "C" NOT NULL,
      kdf_hash text COLLATE "C" NOT NULL,
      wrapped bytea NOT NULL,
      PRIMARY KEY (repo, kdf_hash)
    )`,
    `CREATE TABLE burrow_repositories (
      repo text COLLATE "C" PRIMARY KEY,
      seq bigint NOT NULL,
      epoch bigint NOT NULL
    )`,
    `CREATE TABLE burrow_packs (
      repo text COLLATE "C" NOT NULL,
      name text COLLATE "C" NOT NULL,
      version smallint NOT NULL,
      size bigint NOT NULL CHECK (size >= 0),
      seq bigint NOT NULL,
      PRIMARY KEY (repo, name)
    )`,
    `CREATE TABLE burrow_chunks (
      repo text COLLATE "C" NOT NULL,
      id bytea NOT NULL CHECK (length(id) = 32),
      pack text COLLATE "C" NOT NULL,
      "offset" bigint NOT NULL CHECK ("offset" >= 0),
      length integer NOT NULL CHECK (length >= 0),
      seq bigint NOT NULL,
      PRIMARY KEY (repo, id)
    )`,
    `CREATE INDEX burrow_chunks_seq ON burrow_chunks (repo, seq)`,
  ],
  [
    `CREATE TABLE burrow_retired (
      repo text COLLATE "C" PRIMARY KEY,
      user_name text COLLATE "C" NOT NULL,
      created text COLLATE "C" NOT NULL,
      removed timestamptz NOT NULL DEFAULT now(),
      purge_objects text
    )`,
    `ALTER TABLE burrow_repositories ADD COLUMN stored_bytes bigint NOT NULL DEFAULT 0`,
    `UPDATE burrow_repositories r SET stored_bytes =
      (SELECT coalesce(sum(length), 0) FROM burrow_chunks c WHERE c.repo = r.repo)`,
    // Records committed before this version have no time (null); new ones get theirs.
    `ALTER TABLE burrow_snapshots ADD COLUMN committed timestamptz`,
    `ALTER TABLE burrow_snapshots ALTER COLUMN committed SET DEFAULT now()`,
    `CREATE TABLE burrow_quarantine (
      repo text COLLATE "C" NOT NULL,
      pack text COLLATE "C" NOT NULL,
      id bytea NOT NULL CHECK (length(id) = 32),
      seq bigint NOT NULL,
      PRIMARY KEY (repo, pack, id)
    )`,
    `CREATE INDEX burrow_quarantine_seq ON burrow_quarantine (repo, seq)`,
  ],
];

/** What the schema check found. */
export type RepositorySchemaState =
  | { kind: "ready" }
  | { kind: "missing" }
  | { kind: "newer"; version: number };

/**
 * Brings the tables to `REPOSITORIES_VERSION`: creates them when missing (unless `create` is
 * false), migrates older ones. Changes nothing when they are missing and `create` is false, or
 * when their version is newer than this code's.
 */
export function ensureRepositorySchema(
  sql: Sql,
  options: { create?: boolean } = {},
): Promise<RepositorySchemaState> {
  return sql.begin(async (tx): Promise<RepositorySchemaState> => {
    await tx`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY})`;
    const version = await repositoriesVersion(tx);
    if (version > REPOSITORIES_VERSION) return { kind: "newer", version };
    if (version === REPOSITORIES_VERSION) return { kind: "ready" };
    if (version === 0 && options.create === false) return { kind: "missing" };
    for (const statement of MIGRATIONS.slice(version).flat()) await tx.unsafe(statement);
    await tx`INSERT INTO burrow_schema (component, version)
      VALUES (${REPOSITORIES_COMPONENT}, ${REPOSITORIES_VERSION})
      ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version`;
    return { kind: "ready" };
  });
}

/** The repositories' schema version, 0 when their tables do not exist. */
async function repositoriesVersion(tx: TransactionSql): Promise<number> {
  const [table] = await tx`SELECT to_regclass('burrow_schema') IS NOT NULL AS present`;
  if (table?.present !== true) return 0;
  const [row] = await tx`SELECT version FROM burrow_schema
    WHERE component = ${REPOSITORIES_COMPONENT}`;
  return row === undefined ? 0 : Number(row.version);
}

/** The key of the repository of the account `user` created at `created`. */
export function repositoryKey(user: string, created: string): string {
  return `${user}/${created}`;
}
