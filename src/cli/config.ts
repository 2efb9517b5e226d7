/**
 * Configuration resolved once per command: flags, then `BURROW_*` environment variables, then
 * defaults (the table in README.md, "Flags and environment"). The result is a typed object passed
 * down; nothing below the CLI reads the environment.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { validateUserName } from "../names.ts";
import { defaultStoreSpec } from "../users/registry.ts";
import { type ParsedArgs, stringFlag } from "./command.ts";
import { serverText } from "../client/server_address.ts";

/** Reads one environment variable; injected so tests can pass their own. */
export type EnvReader = (name: string) => string | undefined;

/** The process environment (treats an empty value as unset). */
export function processEnv(name: string): string | undefined {
  const value = Deno.env.get(name);
  return value === "" ? undefined : value;
}

/** A host and a TCP port, as given by `HOST:PORT` or `[IPV6]:PORT`. */
export interface HostPort {
  hostname: string;
  port: number;
}

/** Default data folder and listen address (README.md, "Flags and environment"). */
export const DEFAULT_DATA_DIR = "./burrow-data";
export const DEFAULT_LISTEN = "127.0.0.1:7443";
/** Default address of `serve`'s web page. */
export const DEFAULT_WEB = "127.0.0.1:7444";

/** Parses `HOST:PORT` or `[IPV6]:PORT`. @throws {UsageError} naming `what` */
export function parseHostPort(text: string, what: string): HostPort {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new UsageError(`Invalid ${what} "${text}": expected HOST:PORT, e.g. 127.0.0.1:7443`);
  }
  return { hostname: match[1] ?? match[2] ?? "", port };
}

/** Formats a HostPort back to text, bracketing IPv6 addresses. */
export function formatHostPort(address: HostPort): string {
  return serverText(address);
}

/** Where the server keeps its data and users. */
export interface StoreLocation {
  dataDir: string;
  usersSpec: string;
}

/** Resolves `--data`/`BURROW_DATA` and `--users`/`BURROW_USERS`. */
export function resolveStoreLocation(args: ParsedArgs, env: EnvReader): StoreLocation {
  const dataDir = stringFlag(args, "data") ?? env("BURROW_DATA") ?? DEFAULT_DATA_DIR;
  const usersSpec = stringFlag(args, "users") ?? env("BURROW_USERS") ?? defaultStoreSpec(dataDir);
  return { dataDir, usersSpec };
}

/** What a client command needs to reach and log in to a server. */
export interface ClientConfig {
  /** The servers of the service, tried in order (at least one). */
  servers: HostPort[];
  /** PEM file of the CA to trust; null trusts the system's roots. */
  caPath: string | null;
  user: string;
  passwordStdin: boolean;
}

/**
 * Parses `--server`/`BURROW_SERVER`: one HOST:PORT, or several separated by commas.
 * @throws {UsageError} naming the first entry that is not HOST:PORT (an empty one included)
 */
export function parseServerList(text: string): HostPort[] {
  return text.split(",").map((entry) => parseHostPort(entry.trim(), "server address"));
}

/** Resolves the client options (`--server --ca --user --password-stdin` and BURROW_*). */
export function resolveClientConfig(args: ParsedArgs, env: EnvReader): ClientConfig {
  const server = stringFlag(args, "server") ?? env("BURROW_SERVER") ?? DEFAULT_LISTEN;
  const user = stringFlag(args, "user") ?? env("BURROW_USER");
  if (user === undefined) {
    throw new UsageError("Cannot log in: no user name given (use --user NAME or BURROW_USER)");
  }
  return {
    servers: parseServerList(server),
    caPath: stringFlag(args, "ca") ?? env("BURROW_CA") ?? null,
    user: validateUserName(user),
    passwordStdin: args.flags["password-stdin"] === true,
  };
}

/** The client flags every client command takes, for its Command.flags. */
export const CLIENT_FLAGS = {
  server: {
    type: "string",
    value: "HOST:PORT[,...]",
    help:
      `Server address, or several of one service tried in order (env BURROW_SERVER, default ${DEFAULT_LISTEN})`,
  },
  ca: { type: "string", value: "PEM", help: "CA certificate to trust (env BURROW_CA)" },
  user: { type: "string", value: "NAME", help: "User name (env BURROW_USER)" },
  "password-stdin": {
    type: "boolean",
    help: "Read the password from the first line of stdin (else BURROW_PASSWORD, else a prompt)",
  },
} as const;

/** The flags of the commands that work on the server's data folder directly. */
export const STORE_FLAGS = {
  data: {
    type: "string",
    value: "DIR",
    help: `Data folder (env BURROW_DATA, default ${DEFAULT_DATA_DIR})`,
  },
  users: {
    type: "string",
    value: "STORE",
    help:
      "User store: sqlite:PATH, csv:PATH or postgres://USER@HOST:PORT/DB (env BURROW_USERS, default sqlite:DATA/users.db)",
  },
  "users-password-file": {
    type: "string",
    value: "FILE",
    help:
      "Password of a postgres:// user store: the first line of FILE (else PGPASSWORD, PGPASSFILE)",
  },
} as const;

/** `--debug-timings`: print the wall time of each stage to stderr at the end. */
export const DEBUG_TIMINGS_FLAG = {
  "debug-timings": { type: "boolean", help: "Print the time each stage took to stderr" },
} as const;
