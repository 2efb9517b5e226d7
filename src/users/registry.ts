/**
 * The one map from a STORE string (`sqlite:PATH`, `csv:PATH`) to a user store implementation.
 * Adding a backend (postgres later) means adding one row to `SCHEMES`; nothing registers itself
 * at import time.
 *
 * @module
 */
import { resolve } from "node:path";
import { ConfigError } from "../errors.ts";
import type { UserStore } from "./user_store.ts";

/** The schemes a STORE string may use. */
export type StoreScheme = "csv" | "sqlite";

/** A parsed STORE string. */
export interface StoreSpec {
  scheme: StoreScheme;
  /** File path, relative to the working folder unless absolute. */
  path: string;
}

/** Options of `openUserStore`. */
export interface OpenUserStoreOptions {
  /**
   * Whether a store that does not exist yet is created (`serve`, `useradd --init`). When false,
   * opening it fails with NotFoundError and nothing is created.
   */
  create: boolean;
}

/** How one scheme turns the text after "scheme:" into a spec, and a spec into an open store. */
interface SchemeEntry {
  parse(rest: string, spec: string): StoreSpec;
  open(spec: StoreSpec, options: OpenUserStoreOptions): Promise<UserStore>;
}

/** Every known scheme; the only place a backend is named. */
const SCHEMES: Readonly<Record<StoreScheme, SchemeEntry>> = {
  sqlite: {
    parse: (rest, spec) => ({ scheme: "sqlite", path: filePath(rest, spec) }),
    // Implementations load when their scheme is opened, so a command that never opens a user
    // store (push, pull) does not pay for the CSV and SQLite code.
    open: async (spec, options) =>
      (await import("./sqlite_user_store.ts")).SqliteUserStore.open(spec.path, options),
  },
  csv: {
    parse: (rest, spec) => ({ scheme: "csv", path: filePath(rest, spec) }),
    open: async (spec, options) =>
      (await import("./csv_user_store.ts")).CsvUserStore.open(spec.path, options),
  },
};

const USE_HINT = "(use sqlite:PATH or csv:PATH)";

/**
 * Parses a STORE string such as `sqlite:data/users.db` or `csv:/etc/burrow/users.csv`.
 * The scheme is case-insensitive; the path is kept as written.
 * @throws {ConfigError} for a missing or unknown scheme or an empty path.
 */
export function parseStoreSpec(spec: string): StoreSpec {
  const colon = spec.indexOf(":");
  if (colon < 0) {
    throw new ConfigError(`Cannot open user store "${spec}": missing scheme ${USE_HINT}`);
  }
  const scheme = spec.slice(0, colon).toLowerCase();
  if (!Object.hasOwn(SCHEMES, scheme)) {
    throw new ConfigError(
      `Cannot open user store "${spec}": unknown scheme "${scheme}" ${USE_HINT}`,
    );
  }
  return SCHEMES[scheme as StoreScheme].parse(spec.slice(colon + 1), spec);
}

/** The default STORE string for a data folder: `sqlite:DATA/users.db`. */
export function defaultStoreSpec(dataDir: string): string {
  return `sqlite:${dataDir.endsWith("/") ? dataDir : `${dataDir}/`}users.db`;
}

/** `spec` with a relative file path made absolute against the working folder, for messages. */
export function absoluteStoreSpec(spec: string): string {
  const parsed = parseStoreSpec(spec);
  return `${parsed.scheme}:${resolve(parsed.path)}`;
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
    done(SCHEMES[parsed.scheme].open(parsed, options));
  });
}

/** The path part of a file-backed STORE string. @throws {ConfigError} when it is unusable. */
function filePath(rest: string, spec: string): string {
  if (rest === "") throw new ConfigError(`Cannot open user store "${spec}": empty path`);
  if (rest.startsWith("//")) {
    throw new ConfigError(
      `Cannot open user store "${spec}": write the path right after the colon, without "//"`,
    );
  }
  return rest;
}
