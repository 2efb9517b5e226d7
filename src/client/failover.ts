/**
 * Several servers of one service (`--server A,B,C`): connecting to the first that answers, and
 * telling which failures of a running command mean its server is gone, so that the command may
 * go on through the next one.
 *
 * @module
 */
import { errorMessage, NetworkError } from "../errors.ts";
import type { BurrowClient } from "./burrow_client.ts";
import { connectClient, type ConnectOptions } from "./connection.ts";
import type { ServerAddress } from "./server_address.ts";

/** A client connected to `servers[at]`. */
export interface FailoverClient {
  client: BurrowClient;
  at: number;
}

/**
 * Connects to `servers[from]`, else the next one, and so on: the first that answers.
 * @throws {NetworkError} the server's own error when only one was tried, else one naming how
 *   many were tried and why each failed
 */
export async function connectFirst(
  servers: readonly ServerAddress[],
  from: number,
  options: Omit<ConnectOptions, "hostname" | "port">,
): Promise<FailoverClient> {
  if (from < 0 || from >= servers.length) {
    throw new RangeError(`Cannot connect: no server at position ${from} of ${servers.length}`);
  }
  const failures: unknown[] = [];
  for (let at = from; at < servers.length; at++) {
    try {
      return { client: await connectClient({ ...servers[at]!, ...options }), at };
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  throw new NetworkError(
    `Cannot connect to any of ${failures.length} servers: ${failures.map(errorMessage).join("; ")}`,
  );
}

/**
 * Whether `error` means the connection to the server is gone (lost, timed out, or the server
 * shutting down), not that the server refused the request: only then may a command start again
 * through another server.
 */
export function lostServer(error: unknown): boolean {
  return error instanceof NetworkError && error.code !== "TLS";
}
