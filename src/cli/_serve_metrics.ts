/**
 * Where `burrow serve` serves its metrics: `--metrics web|HOST:PORT|off` and its token (`--metrics-token-file FILE`,
 * `BURROW_METRICS_TOKEN`, or `--metrics-token TOKEN`, which `ps` shows). By default the metrics
 * are on the web port's `/metrics`, and off with `--web off`.
 *
 * Invariant: metrics without a token are served only on a loopback address: asking for them
 * elsewhere without a token is refused, and the default turns them off there (with a note).
 *
 * @module
 */
import { ConfigError, errorMessage, UsageError } from "../errors.ts";
import { type ParsedArgs, stringFlag } from "./command.ts";
import type { Logger } from "../log.ts";
import type { MetricsEndpoint } from "../web/metrics_endpoint.ts";
import { type EnvReader, formatHostPort, type HostPort, parseHostPort } from "./config.ts";
import { printLine } from "./output.ts";

/** Where the metrics are served and what guards them. */
export interface MetricsConfig {
  /** On the web port, on a port of their own, or nowhere. */
  place: "web" | HostPort | null;
  /** The bearer token a scraper must send, or null for none. */
  token: string | null;
  /** Why the default turned the metrics off, to print at start; null otherwise. */
  note: string | null;
}

const MIN_TOKEN = 16;
const MAX_TOKEN = 1024;

/** Resolves the metrics flags given the web port's address (null with `--web off`). */
export async function resolveMetricsConfig(
  args: ParsedArgs,
  env: EnvReader,
  web: HostPort | null,
): Promise<MetricsConfig> {
  const token = await resolveToken(args, env);
  const text = stringFlag(args, "metrics");
  if (text === "off") return { place: null, token, note: null };
  const place = text === undefined || text === "web"
    ? "web"
    : parseHostPort(text, "metrics address");
  if (place === "web" && web === null) {
    if (text === undefined) return { place: null, token, note: null };
    throw new UsageError(
      "Cannot serve the metrics on the web port: --web is off; give --metrics HOST:PORT",
    );
  }
  const address = place === "web" ? web! : place;
  if (token === null && !isLoopback(address.hostname)) {
    const why = `${address.hostname} is not a loopback address and no metrics token is set`;
    if (text === undefined) {
      return { place: null, token, note: `metrics off: ${why} (see --metrics-token-file)` };
    }
    throw new UsageError(
      `Cannot serve the metrics without a token: ${why}; set --metrics-token-file or BURROW_METRICS_TOKEN`,
    );
  }
  return { place, token, note: null };
}

async function resolveToken(args: ParsedArgs, env: EnvReader): Promise<string | null> {
  const inline = stringFlag(args, "metrics-token");
  const file = stringFlag(args, "metrics-token-file");
  if (inline !== undefined && file !== undefined) {
    throw new UsageError("Cannot use --metrics-token and --metrics-token-file together");
  }
  let token = inline;
  if (file !== undefined) {
    try {
      token = (await Deno.readTextFile(file)).replace(/\r?\n$/, "");
    } catch (error) {
      throw new ConfigError(`Cannot read the metrics token file "${file}": ${errorMessage(error)}`);
    }
  }
  token ??= env("BURROW_METRICS_TOKEN");
  if (token === undefined) return null;
  if (token.length < MIN_TOKEN || token.length > MAX_TOKEN || !/^[\x21-\x7e]+$/.test(token)) {
    throw new UsageError(
      `Invalid metrics token: expected ${MIN_TOKEN} to ${MAX_TOKEN} visible ASCII characters, no spaces`,
    );
  }
  return token;
}

/**
 * Starts serving the metrics where `config` says: the endpoint for the web port (returned), or a
 * port of their own (started; its address printed). @throws {ConfigError} when the port is taken
 */
export async function startMetrics(
  config: MetricsConfig,
  tls: { certPem: string; keyPem: string },
  render: () => Promise<string>,
  logger: Logger,
): Promise<{ endpoint?: MetricsEndpoint; shutdown(): Promise<void> }> {
  const none = { shutdown: () => Promise.resolve() };
  if (config.note !== null) printLine(config.note);
  if (config.place === null) return none;
  const { metricsEndpoint } = await import("../web/metrics_endpoint.ts");
  const endpoint = metricsEndpoint({ render, token: config.token });
  if (config.place === "web") return { ...none, endpoint };
  const { startMetricsServer } = await import("../web/metrics_server.ts");
  const running = startMetricsServer({ ...config.place, ...tls, metrics: endpoint, logger });
  printLine(`metrics on https://${formatHostPort(running.address)}/metrics`);
  return running;
}

/** Whether `hostname` reaches only this machine. */
function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
