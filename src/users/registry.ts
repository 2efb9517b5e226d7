/**
 * The one map from a STORE string (`sqlite:PATH`, `csv:PATH`, `postgres://USER@HOST:PORT/DB`)
 * to a user store implementation. Adding a backend means adding one row to `SCHEMES`; nothing
 * registers itself at import time. A STORE string may hold a database password: every message
 * shows it through `describeStoreSpec`, which hides the password.
 *
 * @module
 */
import { resolve } from "node:path";
import { ConfigError } from "../errors.ts";
import type { UserStore } from "./user_store.ts";
import { parsePostgresUrl, type PostgresTarget, redactStoreSpec } from "./postgres_url.ts";

/** The schemes a STORE string may use (`postgresql` is read as `postgres`). */
export type StoreScheme = "csv" | "sqlite" | "postgres";

/** A parsed STORE string: a file store's path, or the database a postgres URL names. */
export type StoreSpec =
  | {
    scheme: "csv" | "sqlite";
    /** File path, relative to the working folder unless absolute. */
    path: string;
  }
  | { scheme: "postgres"; target: PostgresTarget };

/** Options of `openUserStore`. */
export interface OpenUserStoreOptions {
  /**
   * Whether a store that does not exist yet is created (`serve`, `useradd --init`). When false,
   * opening it fails with NotFoundError and nothing is created.
   */
  create: boolean;
  /**
   * The database password of a postgres store, when the caller read one from a file or the
   * environment; the other stores ignore it.
   */
  password?: string;
}

/** How one scheme turns the text after "scheme:" into a spec, and a spec into an open store. */
interface SchemeEntry {
  parse(rest: string, spec: string): StoreSpec;
  /** Opens the store; `spec` is the parsed `text`. */
  open(spec: StoreSpec, text: string, options: OpenUserStoreOptions): Promise<UserStore>;
}

/** The path of a file store's spec (the registry parses each scheme into its own shape). */
function pathOf(spec: StoreSpec): string {
  return spec.scheme === "postgres" ? "" : spec.path;
}

const POSTGRES: SchemeEntry = {
  parse: (_rest, spec) => ({ scheme: "postgres", target: parsePostgresUrl(spec) }),
  open: async (_spec, text, options) =>
    (await import("./postgres_user_store.ts")).PostgresUserStore.open(text, {
      create: options.create,
      ...(options.password === undefined ? {} : { password: options.password }),
    }),
};

/** Every known scheme; the only place a backend is named. */
const SCHEMES: Readonly<Record<StoreScheme | "postgresql", SchemeEntry>> = {
  sqlite: {
    parse: (rest, spec) => ({ scheme: "sqlite", path: filePath(rest, spec) }),
    // Implementations load when their scheme is opened, so a command that never opens a user
    // store (push, pull) does not pay for the CSV, SQLite and PostgreSQL code.
    open: async (spec, _text, options) =>
      (await import("./sqlite_user_store.ts")).SqliteUserStore.open(pathOf(spec), options),
  },
  csv: {
    parse: (rest, spec) => ({ scheme: "csv", path: filePath(rest, spec) }),
    open: async (spec, _text, options) =>
      (await import("./csv_user_store.ts")).CsvUserStore.open(pathOf(spec), options),
  },
  postgres: POSTGRES,
  postgresql: POSTGRES,
};

const USE_HINT = "(use sqlite:PATH, csv:PATH or postgres://USER@HOST:PORT/DB)";

/**
 * Parses a STORE string such as `sqlite:data/users.db`, `csv:/etc/burrow/users.csv` or
 * `postgres://burrow@db.example:5432/burrow`. The scheme is case-insensitive; the path is kept
 * as written.
 * @throws {ConfigError} for a missing or unknown scheme, an empty path or a bad URL; the message
 *   shows the STORE string with any password hidden.
 */
export function parseStoreSpec(spec: string): StoreSpec {
  const colon = spec.indexOf(":");
  const shown = describeStoreSpec(spec);
  if (colon < 0) {
    throw new ConfigError(`Cannot open user store "${shown}": missing scheme ${USE_HINT}`);
  }
  const scheme = spec.slice(0, colon).toLowerCase();
  if (!Object.hasOwn(SCHEMES, scheme)) {
    throw new ConfigError(
      `Cannot open user store "${shown}": unknown scheme "${scheme}" ${USE_HINT}`,
    );
  }
  return SCHEMES[scheme as StoreScheme].parse(spec.slice(colon + 1), spec);
}

/** `spec` as messages and logs may show it: a password in it replaced by `***`. */
export function describeStoreSpec(spec: string): string {
  return redactStoreSpec(spec);
}

/** The default STORE string for a data folder: `sqlite:DATA/users.db`. */
export function defaultStoreSpec(dataDir: string): string {
  return `sqlite:${dataDir.endsWith("/") ? dataDir : `${dataDir}/`}users.db`;
}

/**
 * `spec` with a relative file path made absolute against the working folder; a postgres URL is
 * returned as given (show it with `describeStoreSpec`).
 */
export function absoluteStoreSpec(spec: string): string {
  const parsed = parseStoreSpec(spec);
  return parsed.scheme === "postgres" ? spec : `${parsed.scheme}:${resolve(parsed.path)}`;
}

/**
 * Opens the store a STORE string names; a file store reads and checks its file at once, and
 * brings data of an older schema version up to date.
 * @throws {ConfigError} for a bad STORE string.
 * @throws {NotFoundError} when the store does not exist and `options.create` is false.
 * @throws {StoreError} when the store cannot be opened or holds broken data.
 */
export function openUserStore(spec: string, options: OpenUserStoreOptions): Promise<UserStore> {
  return new Promise((done) => {
    const parsed = parseStoreSpec(spec);
    done(SCHEMES[parsed.scheme].open(parsed, spec, options));
  });
}

/** The path part of a file-backed STORE string. @throws {ConfigError} when it is unusable. */
function filePath(rest: string, spec: string): string {
  const shown = describeStoreSpec(spec);
  if (rest === "") throw new ConfigError(`Cannot open user store "${shown}": empty path`);
  if (rest.startsWith("//")) {
    throw new ConfigError(
      `Cannot open user store "${shown}": write the path right after the colon, without "//"`,
    );
  }
  return rest;
}
