/**
 * The PostgreSQL tables of shared repositories and how they are created: `burrow_snapshots`
 * (sealed snapshot records), `burrow_keys` (wrapped master keys), and the chunk index of the
 * S3 packs (`postgres_chunk_index.ts`): `burrow_packs`, `burrow_chunks` (one location per chunk
 * id, and the batch `seq` that added it, so a server can fetch what other servers added since it
 * last looked) and `burrow_repositories` (each repository's last batch and epoch). Every row is keyed by the repository: `USER/CREATED`, so a new account of a reused
 * name never meets an earlier account's rows. Creation runs in one transaction under the
 * advisory lock the user store's schema takes, and records version `REPOSITORIES_VERSION` in
 * `burrow_schema`; a newer version is refused, unchanged.
 *
 * @module
 */
import type { Sql, TransactionSql } from "postgres";

/** This component's row in `burrow_schema`. */
export const REPOSITORIES_COMPONENT = "repositories";
/** The schema version these tables have. */
export const REPOSITORIES_VERSION = 1;
/** The advisory lock key of schema changes: the user store's ("burrow" in ASCII). */
const SCHEMA_LOCK_KEY = 0x627572726f77;

const TABLES = [
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
];

/**
 * Creates the tables when missing. @returns the newer version found (nothing changed then), or
 * null when the tables are ready
 */
export function ensureRepositorySchema(sql: Sql): Promise<number | null> {
  return sql.begin(async (tx): Promise<number | null> => {
    await tx`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY})`;
    const version = await repositoriesVersion(tx);
    if (version > REPOSITORIES_VERSION) return version;
    if (version === REPOSITORIES_VERSION) return null;
    for (const statement of TABLES) await tx.unsafe(statement);
    await tx`INSERT INTO burrow_schema (component, version)
      VALUES (${REPOSITORIES_COMPONENT}, ${REPOSITORIES_VERSION})`;
    return null;
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
