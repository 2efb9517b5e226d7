/**
 * The `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&connect_timeout=…]` STORE
 * string: parsed into the one database it names, and redacted for every message. A password in
 * the URL is accepted, never required, and never shown: `redactStoreSpec` replaces it by `***`.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";

/** How the connection to PostgreSQL uses TLS, as libpq's `sslmode`. */
export type SslMode = "disable" | "prefer" | "require" | "verify-full";

/** The database a `postgres://` STORE string names. */
export interface PostgresTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  /** The password written in the URL, or null when there is none (the usual case). */
  password: string | null;
  sslMode: SslMode;
  /** Seconds to wait for a connection before giving up. */
  connectTimeoutS: number;
}

/** PostgreSQL's port when the URL names none. */
export const DEFAULT_POSTGRES_PORT = 5432;
/** Seconds a connection may take when the URL does not say (`connect_timeout`). */
export const DEFAULT_CONNECT_TIMEOUT_S = 10;

const SSL_MODES: readonly SslMode[] = ["disable", "prefer", "require", "verify-full"];
const FORM = "write postgres://USER@HOST:PORT/DATABASE";

/**
 * `spec` as messages may show it: the password of a `scheme://USER:PASSWORD@…` string (any
 * scheme, and `postgres:` written without `//`) replaced by `***`. Everything up to the last `@`
 * counts as the password, so a password holding `@` or `/` is hidden whole.
 */
export function redactStoreSpec(spec: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:@/?#]*:)(.*)@/s.exec(spec) ??
    /^(postgres(?:ql)?:[^:@/?#]*:)(.*)@/is.exec(spec);
  if (match === null) return spec;
  return `${match[1]}***@${spec.slice(match[0].length)}`;
}

/**
 * Parses a `postgres://` or `postgresql://` STORE string.
 * @throws {ConfigError} naming the redacted string and what is wrong: not a URL, no user, host
 *   or database, a bad port, or an unknown parameter or value.
 */
export function parsePostgresUrl(spec: string): PostgresTarget {
  const fail = (problem: string) =>
    new ConfigError(`Cannot open user store "${redactStoreSpec(spec)}": ${problem}`);
  if (!/^postgres(ql)?:\/\//i.test(spec)) throw fail(FORM);
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw fail(`not a URL (${FORM}; percent-encode special characters)`);
  }
  const user = decode(url.username, fail);
  if (user === "") throw fail(`no user name (${FORM})`);
  if (url.hostname === "" || url.hostname.includes("%")) throw fail(`no host (${FORM})`);
  if (url.port === "0") throw fail("port 0 (give the port PostgreSQL listens on)");
  const database = decode(url.pathname.slice(1), fail);
  if (database === "" || database.includes("/")) throw fail(`no database name (${FORM})`);
  if (url.hash !== "") throw fail("a URL fragment (#…) means nothing here");
  const options = readParameters(url.searchParams, fail);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? DEFAULT_POSTGRES_PORT : Number(url.port),
    database,
    user,
    password: url.password === "" ? null : decode(url.password, fail),
    ...options,
  };
}

/** The URL's parameters. @throws {ConfigError} for an unknown one or a bad value */
function readParameters(
  params: URLSearchParams,
  fail: (problem: string) => ConfigError,
): Pick<PostgresTarget, "sslMode" | "connectTimeoutS"> {
  let sslMode: SslMode = "prefer";
  let connectTimeoutS = DEFAULT_CONNECT_TIMEOUT_S;
  for (const [key, value] of params) {
    if (key === "sslmode") {
      if (!SSL_MODES.includes(value as SslMode)) {
        throw fail(`sslmode "${value}" is not one of ${SSL_MODES.join(", ")}`);
      }
      sslMode = value as SslMode;
    } else if (key === "connect_timeout") {
      connectTimeoutS = /^\d{1,4}$/.test(value) ? Number(value) : 0;
      if (connectTimeoutS < 1) throw fail(`connect_timeout "${value}" is not 1 to 9999 seconds`);
    } else {
      throw fail(`unknown parameter "${key}" (known: sslmode, connect_timeout)`);
    }
  }
  return { sslMode, connectTimeoutS };
}

/** Percent-decodes one URL part. @throws {ConfigError} for a broken escape */
function decode(text: string, fail: (problem: string) => ConfigError): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw fail("a broken percent escape (%XX)");
  }
}
