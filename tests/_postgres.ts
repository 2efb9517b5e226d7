/**
 * PostgreSQL for tests: the server named by `BURROW_TEST_POSTGRES_URL` (a role that may create
 * databases; `scripts/scaleout/postgres-up.sh` starts one and `.ci/run` exports it), and a fresh
 * database per test on it, dropped afterwards. Where the variable is unset, the tests that need
 * PostgreSQL are ignored and say why.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import postgres from "postgres";

/** The variable that names the test server. */
export const POSTGRES_URL_VARIABLE = "BURROW_TEST_POSTGRES_URL";

/** The test server's URL (it may hold the password), or null when none is given. */
export const POSTGRES_URL: string | null = Deno.env.get(POSTGRES_URL_VARIABLE) || null;

/** Why the PostgreSQL tests cannot run here, or null when they can. */
export const postgresMissing: string | null = POSTGRES_URL === null
  ? `${POSTGRES_URL_VARIABLE} is not set (start PostgreSQL with scripts/scaleout/postgres-up.sh and export its DATABASE_URL as ${POSTGRES_URL_VARIABLE}; .ci/run does)`
  : null;

/** Prints that a test file's PostgreSQL tests are ignored, and why, when `reason` is not null. */
export function reportIgnored(file: string, reason: string | null = postgresMissing): void {
  if (reason !== null) console.log(`${file}: PostgreSQL tests ignored: ${reason}`);
}

/** Whether the test server speaks TLS (`SHOW ssl`); false without a test server. */
export async function testServerHasTls(): Promise<boolean> {
  if (POSTGRES_URL === null) return false;
  const admin = postgres(POSTGRES_URL, { onnotice: false, max: 1 });
  try {
    return (await admin`SHOW ssl`)[0]?.ssl === "on";
  } finally {
    await admin.end();
  }
}

/** The parts of a test database's URL. */
export interface TestDatabase {
  /** `postgres://USER:PASSWORD@HOST:PORT/DB` of the fresh database (with the password). */
  url: string;
  /** The same URL without the password. */
  urlWithoutPassword: string;
  /** The password, or "" when the server URL has none. */
  password: string;
  name: string;
}

/** Makes a fresh database on the test server; `drop` removes it, closing its connections. */
export async function createTestDatabase(): Promise<TestDatabase & { drop(): Promise<void> }> {
  if (POSTGRES_URL === null) throw new Error(`Cannot use PostgreSQL: ${postgresMissing}`);
  const name = `burrow_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(POSTGRES_URL, { onnotice: false, max: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const server = new URL(POSTGRES_URL);
  const password = decodeURIComponent(server.password);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  url.search = "";
  const bare = new URL(url);
  bare.password = "";
  return {
    url: url.href,
    urlWithoutPassword: bare.href,
    password,
    name,
    async drop() {
      const admin = postgres(POSTGRES_URL!, { onnotice: false, max: 1 });
      try {
        await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** Runs `body` with a fresh database, dropped afterwards whatever happens. */
export async function withTestDatabase(body: (db: TestDatabase) => Promise<void>): Promise<void> {
  const db = await createTestDatabase();
  try {
    await body(db);
  } finally {
    await db.drop();
  }
}
