/** `burrow serve`: runs the server until SIGINT or SIGTERM. @module */
import {
  DEFAULT_CLIENT_KDF_PARAMS,
  DEFAULT_HASH_PARAMS,
  DEFAULT_MIN_PASSWORD_LENGTH,
  DEFAULT_SIGNUPS_PER_HOUR,
  HashPool,
  LoginRateLimiter,
  MAX_MIN_PASSWORD_LENGTH,
  MAX_SIGNUPS_PER_HOUR,
  SignupLimiter,
} from "../auth/mod.ts";
import { makeDirDurable } from "../atomic_file.ts";
import { ConfigError, errorMessage, UsageError } from "../errors.ts";
import { AccountService } from "../server/accounts.ts";
import { raiseDescriptorLimit } from "../server/descriptor_limit.ts";
import {
  DEFAULT_SERVER_LIMITS,
  halfOf,
  type RunningServer,
  type ServerLimits,
  startServer,
} from "../server/server.ts";
import { lockDataDir } from "../server/data_lock.ts";
import { LoopLagMonitor } from "../server/loop_lag.ts";
import { RepositoryRegistry } from "../server/repositories.ts";
import { sweepPurgedRepositories } from "../store/repository_purge.ts";
import { serverSecretFor } from "../server/server_secret.ts";
import {
  defaultStoreSpec,
  describeStoreSpec,
  openUserStore,
  parseStoreSpec,
} from "../users/registry.ts";
import { connectSharedRepositories, type SharedRepositories } from "./_serve_shared.ts";
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import type { RunningWebServer } from "../web/mod.ts";
import {
  DEFAULT_LISTEN,
  DEFAULT_WEB,
  formatHostPort,
  type HostPort,
  parseHostPort,
  processEnv,
  resolveStoreLocation,
  STORE_FLAGS,
} from "./config.ts";
import { printLine, stderrLogger } from "./output.ts";
import type { Logger } from "../log.ts";
import type { ChunkStoreOpener } from "../store/user_repository.ts";
import { readGauges, ServerMetrics } from "../server/metrics.ts";
import type { MetricsEndpoint } from "../web/metrics_endpoint.ts";
import { resolveMetricsConfig, startMetrics } from "./_serve_metrics.ts";
import { CHUNK_STORE_FLAGS, connectS3ChunkStores, resolveChunkStore } from "./_serve_store.ts";
import { resolveUsersPassword } from "./_users_password.ts";

/** Reads a positive number flag (seconds or a count). @throws {UsageError} */
function positiveFlag(args: ParsedArgs, name: string, fallback: number): number {
  const text = stringFlag(args, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`Invalid --${name} "${text}": expected a positive number`);
  }
  return value;
}

/** Reads a count flag: a whole number of at least 1. @throws {UsageError} */
function countFlag(args: ParsedArgs, name: string, fallback: number): number {
  const value = positiveFlag(args, name, fallback);
  if (!Number.isInteger(value)) {
    throw new UsageError(`Invalid --${name} "${value}": expected a whole number`);
  }
  return value;
}

/** Reads `--signup-limit N/hour`: new accounts per address per hour. @throws {UsageError} */
function signupLimitFlag(args: ParsedArgs): number {
  const text = stringFlag(args, "signup-limit");
  if (text === undefined) return DEFAULT_SIGNUPS_PER_HOUR;
  const value = Number(/^(\d{1,7})\/hour$/.exec(text)?.[1]);
  if (!(value >= 1 && value <= MAX_SIGNUPS_PER_HOUR)) {
    throw new UsageError(
      `Invalid --signup-limit "${text}": expected N/hour with N from 1 to ${MAX_SIGNUPS_PER_HOUR}, e.g. ${DEFAULT_SIGNUPS_PER_HOUR}/hour`,
    );
  }
  return value;
}

/** Reads `--min-password-length N`: the shortest new password clients accept. @throws {UsageError} */
function minPasswordLengthFlag(args: ParsedArgs): number {
  const text = stringFlag(args, "min-password-length");
  if (text === undefined) return DEFAULT_MIN_PASSWORD_LENGTH;
  const value = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= MAX_MIN_PASSWORD_LENGTH)) {
    throw new UsageError(
      `Invalid --min-password-length "${text}": expected a whole number from 1 to ${MAX_MIN_PASSWORD_LENGTH}`,
    );
  }
  return value;
}

/** Longest `--prune-wait`, in seconds: new pushes of the user are refused while a prune waits. */
const MAX_PRUNE_WAIT_SECONDS = 3600;

/** Reads `--prune-wait SECONDS`: how long a prune waits for running pushes. @throws {UsageError} */
function pruneWaitFlag(args: ParsedArgs, fallbackMs: number): number {
  const seconds = positiveFlag(args, "prune-wait", fallbackMs / 1000);
  if (seconds > MAX_PRUNE_WAIT_SECONDS) {
    throw new UsageError(
      `Invalid --prune-wait "${seconds}": expected at most ${MAX_PRUNE_WAIT_SECONDS} seconds`,
    );
  }
  return seconds * 1000;
}

function resolveLimits(args: ParsedArgs): ServerLimits {
  const d = DEFAULT_SERVER_LIMITS;
  const maxConnections = countFlag(args, "max-connections", d.maxConnections);
  // The pre-login caps default to half of the cap above them, and never exceed it.
  const maxUnauthenticated = Math.min(
    maxConnections,
    countFlag(args, "max-unauthenticated", halfOf(maxConnections)),
  );
  const perAddress = Math.min(
    maxUnauthenticated,
    countFlag(args, "max-unauthenticated-per-address", halfOf(maxUnauthenticated)),
  );
  return {
    ...d,
    maxConnections,
    maxUnauthenticated,
    maxUnauthenticatedPerAddress: perAddress,
    handshakeTimeoutMs: positiveFlag(args, "handshake-timeout", d.handshakeTimeoutMs / 1000) * 1000,
    idleTimeoutMs: positiveFlag(args, "idle-timeout", d.idleTimeoutMs / 1000) * 1000,
    pruneWaitMs: pruneWaitFlag(args, d.pruneWaitMs),
  };
}

async function loadTls(args: ParsedArgs, dataDir: string) {
  // Certificate code (x509, ASN.1) loads only for the commands that need it.
  const { certificateHosts, defaultServerHosts, ensureServerCertificates, loadCertificatePair } =
    await import("../tls/mod.ts");
  const certPath = stringFlag(args, "cert");
  const keyPath = stringFlag(args, "key");
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new UsageError("Cannot start the server: --cert and --key go together");
  }
  if (certPath !== undefined && keyPath !== undefined) {
    const pair = await loadCertificatePair(certPath, keyPath);
    return { ...pair, hosts: certificateHosts(pair.certPem) };
  }
  const made = await ensureServerCertificates(`${dataDir}/tls`, defaultServerHosts());
  printLine(`${made.created ? "created" : "using"} CA certificate ${made.caCertPath}`);
  printLine(`CA SHA-256 fingerprint ${made.caFingerprint}`);
  printLine(`clients trust this server with: --ca ${made.caCertPath}`);
  return { certPem: made.certPem, keyPem: made.keyPem, hosts: certificateHosts(made.certPem) };
}

/** Reads `--web HOST:PORT|off`: where the web page is served, or null for none. */
function webFlag(args: ParsedArgs): HostPort | null {
  const text = stringFlag(args, "web") ?? DEFAULT_WEB;
  return text === "off" ? null : parseHostPort(text, "web address");
}

/**
 * Starts the web page's HTTPS port beside `server`, on the same certificate, its WebSockets
 * served by the same sessions. @throws {ConfigError} when the address cannot be used (the TLS
 * listener is shut down first)
 */
async function startWeb(
  address: HostPort,
  tls: { certPem: string; keyPem: string; hosts: string[] },
  server: RunningServer,
  logger: Logger,
  metrics: MetricsEndpoint | undefined,
): Promise<RunningWebServer> {
  try {
    // The page (its script bundle) loads only for the command that serves it.
    const { PAGE_ASSETS, startWebServer } = await import("../web/mod.ts");
    return startWebServer({
      ...(metrics === undefined ? {} : { metrics }),
      ...address,
      certPem: tls.certPem,
      keyPem: tls.keyPem,
      assets: PAGE_ASSETS,
      hosts: tls.hosts,
      sessions: server.sessions,
      logger,
    });
  } catch (error) {
    await server.shutdown();
    throw error;
  }
}

/** What a test may replace in `serveWith`; the command line can set none of it. */
export interface ServeOverrides {
  /** Opens each repository's chunk store (tests: small packs, crash hooks). */
  openChunks?: ChunkStoreOpener;
}

/** Runs the server as `burrow serve` with `args`; `overrides` are for tests only. */
export async function serveWith(args: ParsedArgs, overrides: ServeOverrides = {}): Promise<void> {
  const listen = parseHostPort(stringFlag(args, "listen") ?? DEFAULT_LISTEN, "listen address");
  const webAddress = webFlag(args);
  const metricsConfig = await resolveMetricsConfig(args, processEnv, webAddress);
  const limits = resolveLimits(args);
  const signupsPerHour = signupLimitFlag(args);
  const minPasswordLength = minPasswordLengthFlag(args);
  const { dataDir, usersSpec } = resolveStoreLocation(args, processEnv);
  const chunkStore = resolveChunkStore(args, processEnv);
  const logger = stderrLogger();
  await makeDirDurable(dataDir);
  if (!(await Deno.stat(dataDir)).isDirectory) {
    throw new ConfigError(
      `Cannot use data folder "${dataDir}": it is a file; give a folder with --data`,
    );
  }
  const password = await resolveUsersPassword(args, processEnv, usersSpec);
  const lock = await lockDataDir(dataDir);
  const store = await openUserStore(usersSpec, {
    create: true,
    ...(password === undefined ? {} : { password }),
  }).catch((error) => {
    lock.release();
    throw error;
  });
  const hashPool = new HashPool();
  const metrics = new ServerMetrics();
  let s3: Awaited<ReturnType<typeof connectS3ChunkStores>> | undefined;
  let shared: SharedRepositories | undefined;
  try {
    const tls = await loadTls(args, dataDir);
    if (chunkStore !== null) {
      if (parseStoreSpec(usersSpec).scheme === "postgres") {
        shared = (await connectSharedRepositories(usersSpec, password))!;
      }
      s3 = await connectS3ChunkStores(chunkStore, logger, shared?.chunkIndex);
      printLine(`chunks in ${s3.description}`);
      if (shared !== undefined) printLine("index, snapshots and keys in the user store's database");
    }
    const accounts = new AccountService({
      store,
      hashPool,
      rateLimiter: new LoginRateLimiter(),
      signupLimiter: new SignupLimiter({ perHour: signupsPerHour }),
      serverSecret: await serverSecretFor(store, dataDir),
      hashParams: DEFAULT_HASH_PARAMS,
      clientKdfParams: DEFAULT_CLIENT_KDF_PARAMS,
      allowSignup: booleanFlag(args, "allow-signup"),
      minPasswordLength,
      logger,
      metrics,
    });
    await sweepPurgedRepositories(
      dataDir,
      (path, error) =>
        logger.warn("cannot delete a purged repository", { path, error: errorMessage(error) }),
    );
    if (shared !== undefined && s3 !== undefined) {
      const { sweepRetired } = await import("../store/postgres/retired_purge.ts");
      await sweepRetired(
        shared.retired,
        s3.repositoryObjects,
        shared.locks,
        (retired, error) =>
          logger.warn("cannot purge a removed account's backups", {
            ...(retired === null ? {} : { user: retired.user, created: retired.created }),
            error: errorMessage(error),
          }),
      );
    }
    const repositories = new RepositoryRegistry(dataDir, {
      account: (name) => store.get(name),
      logger,
      ...(s3 === undefined ? {} : { openChunks: s3.openChunks }),
      ...(shared === undefined
        ? {}
        : { openRecords: shared.openRecords, serviceGate: shared.serviceGate, shared: true }),
      ...overrides,
    });
    raiseDescriptorLimit(logger);
    const { certPem, keyPem } = tls;
    const server = await startServer({
      ...listen,
      certPem,
      keyPem,
      accounts,
      repositories,
      limits,
      logger,
      metrics,
    });
    const render = async () => {
      const accounts = await store.list();
      const recorded = shared === undefined ? null : await shared.usage(accounts);
      return metrics.render(
        await readGauges({
          sessions: server.sessions,
          storedBytesOf: async (user) =>
            (await repositories.storedBytesOf(user)) ?? recorded?.get(user)?.storedBytes ?? null,
          userNames: () => Promise.resolve(accounts.map((record) => record.name)),
        }),
      );
    };
    const metricsServer = await startMetrics(metricsConfig, tls, render, logger).catch(
      async (error) => {
        await server.shutdown();
        throw error;
      },
    );
    const web = webAddress === null
      ? null
      : await startWeb(webAddress, tls, server, logger, metricsServer.endpoint).catch(
        async (error) => {
          await metricsServer.shutdown();
          throw error;
        },
      );
    const lag = booleanFlag(args, "debug-timings")
      ? new LoopLagMonitor((maxMs) => logger.info("event loop lag", { maxMs }))
      : undefined;
    lag?.start();
    // Signals are handled before the ready line: a supervisor may stop the server at once.
    const stop = () => {
      void web?.shutdown();
      void server.shutdown();
      void metricsServer.shutdown();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    await accounts.warmUp();
    if (web !== null) printLine(`web on https://${formatHostPort(web.address)}/`);
    if (web !== null && metricsServer.endpoint !== undefined) {
      printLine(`metrics on https://${formatHostPort(web.address)}/metrics`);
    }
    printLine(`listening on ${formatHostPort(server.address)}`);
    if ((await store.list()).length === 0) {
      const users = usersSpec === defaultStoreSpec(dataDir)
        ? ""
        : ` --users ${describeStoreSpec(usersSpec)}`;
      printLine(
        `next: add an account with: burrow useradd NAME --data ${dataDir}${users} --temporary`,
      );
    }
    await server.finished;
    await web?.shutdown();
    await metricsServer.shutdown();
    lag?.stop();
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  } finally {
    await hashPool.close();
    await store.close();
    s3?.close();
    await shared?.close();
    lock.release();
  }
  logger.info("server stopped");
}

/** The `serve` command. */
export const serveCommand: Command = {
  name: "serve",
  usage:
    "serve [--listen HOST:PORT] [--web HOST:PORT|off] [--metrics web|HOST:PORT|off] [--data DIR] [--users STORE] [--store s3://BUCKET/PREFIX --s3-endpoint URL] [--cert PEM --key PEM] [--allow-signup]",
  description:
    "Serves backups over TLS, and the web page over HTTPS on --web with the same certificate.\n" +
    "Without --cert/--key, the first start makes a CA and a server certificate under DATA/tls/\n" +
    "and prints the CA's path and SHA-256 fingerprint; clients trust the server with\n" +
    "--ca DATA/tls/ca.pem. Prints `web on https://HOST:PORT/` and `listening on HOST:PORT` when\n" +
    "ready; SIGINT or SIGTERM stops it after in-flight requests finish.\n" +
    "Prometheus metrics are at /metrics on the web port (or on --metrics HOST:PORT, HTTPS too);\n" +
    "they name users and sizes: without a metrics token they are served on loopback addresses only.\n" +
    "With --store s3://BUCKET/PREFIX, chunks are packs in that bucket (credentials from\n" +
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); snapshot records and keys stay in DATA.\n" +
    "With --users postgres://USER@HOST:PORT/DB the accounts live in PostgreSQL (tables made on the\n" +
    "first start); its password comes from --users-password-file, PGPASSWORD or PGPASSFILE.\n" +
    "With both, the chunk index, snapshot records, keys and locks live in PostgreSQL too: several\n" +
    "servers (each with its own --data) with the same --users and --store are one service.",
  examples: [
    "serve                                # ./burrow-data, 127.0.0.1:7443, its own CA",
    "serve --users postgres://burrow@db.example:5432/burrow --users-password-file /etc/burrow/db-pass",
    "serve --web off                      # no web page",
    "serve --metrics 10.0.0.5:9443 --metrics-token-file /etc/burrow/metrics-token",
    "serve --listen 0.0.0.0:7443 --data /srv/burrow --allow-signup",
    "serve --store s3://backups/burrow --s3-endpoint http://127.0.0.1:17480   # AWS_* in the env",
  ],
  flags: {
    listen: {
      type: "string",
      value: "HOST:PORT",
      help: `Address to listen on (default ${DEFAULT_LISTEN}; port 0 takes a free port)`,
    },
    web: {
      type: "string",
      value: "HOST:PORT|off",
      help: `Address of the web page, HTTPS (default ${DEFAULT_WEB}; off turns it off)`,
    },
    metrics: {
      type: "string",
      value: "web|HOST:PORT|off",
      help:
        "Where GET /metrics is served: the web port (default; off with --web off), its own HTTPS port, or off",
    },
    "metrics-token-file": {
      type: "string",
      value: "FILE",
      help: "Scrapers must send the token in FILE as a bearer token (or set BURROW_METRICS_TOKEN)",
    },
    "metrics-token": {
      type: "string",
      value: "TOKEN",
      help: "The same token given inline (visible in ps; prefer the file or the variable)",
    },
    ...STORE_FLAGS,
    ...CHUNK_STORE_FLAGS,
    cert: { type: "string", value: "PEM", help: "Server certificate chain (with --key)" },
    key: { type: "string", value: "PEM", help: "Server private key (with --cert)" },
    "allow-signup": { type: "boolean", help: "Let anyone create an account with burrow signup" },
    "min-password-length": {
      type: "string",
      value: "N",
      help:
        `Shortest new password clients accept, in characters (default ${DEFAULT_MIN_PASSWORD_LENGTH})`,
    },
    "signup-limit": {
      type: "string",
      value: "N/hour",
      help: `New accounts per client address per hour (default ${DEFAULT_SIGNUPS_PER_HOUR}/hour)`,
    },
    "max-connections": {
      type: "string",
      value: "N",
      help: `Most connections at once (default ${DEFAULT_SERVER_LIMITS.maxConnections})`,
    },
    "max-unauthenticated": {
      type: "string",
      value: "N",
      help: "Most connections not logged in yet (default half of --max-connections)",
    },
    "max-unauthenticated-per-address": {
      type: "string",
      value: "N",
      help: "Most of those from one address (default half of --max-unauthenticated)",
    },
    "handshake-timeout": {
      type: "string",
      value: "SECONDS",
      help: `Longest wait for each login step (default ${
        DEFAULT_SERVER_LIMITS.handshakeTimeoutMs / 1000
      })`,
    },
    "idle-timeout": {
      type: "string",
      value: "SECONDS",
      help: `Close a connection silent this long (default ${
        DEFAULT_SERVER_LIMITS.idleTimeoutMs / 1000
      })`,
    },
    "prune-wait": {
      type: "string",
      value: "SECONDS",
      help: `Longest wait of a prune for running pushes, then BUSY (default ${
        DEFAULT_SERVER_LIMITS.pruneWaitMs / 1000
      })`,
    },
    "debug-timings": {
      type: "boolean",
      help: "Log every second how late the event loop ran at worst (its lag)",
    },
  },
  positionals: { min: 0, max: 0 },
  run: (args) => serveWith(args),
};
