/**
 * What every client command does first: resolve the client options, trust the CA, connect and
 * (for most commands) log in, then hand the connection to the command and close it after.
 *
 * @module
 */
import { BurrowClient, type LoginResult } from "../client/burrow_client.ts";
import { readCaFile } from "../client/connection.ts";
import type { ParsedArgs } from "./command.ts";
import { type ClientConfig, processEnv, resolveClientConfig } from "./config.ts";
import { readPassword, StdinLines } from "./password_input.ts";

/** A connected client and where its password lines come from. */
export interface ClientContext {
  config: ClientConfig;
  client: BurrowClient;
  stdin: StdinLines;
}

/** Connects with the command's client options, runs `body`, and always closes. */
export async function withConnection<T>(
  args: ParsedArgs,
  body: (ctx: ClientContext) => Promise<T>,
): Promise<T> {
  const config = resolveClientConfig(args, processEnv);
  const caCerts = config.caPath === null ? null : [await readCaFile(config.caPath)];
  const client = await BurrowClient.connect({ ...config.server, caCerts });
  try {
    return await body({ config, client, stdin: new StdinLines() });
  } finally {
    await client.close();
  }
}

/**
 * Reads a password for a client command: the next line of stdin with --password-stdin, else the
 * environment variable `envName`, else a terminal prompt (asked twice when `confirm`).
 */
export function readClientPassword(
  ctx: ClientContext,
  label: string,
  options: { confirm?: boolean; envName?: string } = {},
): Promise<string> {
  return readPassword(
    {
      fromStdin: ctx.config.passwordStdin,
      fromEnv: processEnv(options.envName ?? "BURROW_PASSWORD"),
      stdin: ctx.stdin,
    },
    label,
    options.confirm ?? false,
  );
}

/** Connects, logs in, runs `body`, and always closes. */
export function withLogin<T>(
  args: ParsedArgs,
  body: (ctx: ClientContext, login: LoginResult) => Promise<T>,
): Promise<T> {
  return withConnection(args, async (ctx) => {
    const password = await readClientPassword(ctx, "Password");
    const login = await ctx.client.login(ctx.config.user, password);
    return await body(ctx, login);
  });
}
