/**
 * What every client command does first: resolve the client options, trust the CA, ask for every
 * password the command needs, and only then connect and (for most commands) log in, so that no
 * server deadline runs while a person types. The connection is handed to the command and always
 * closed after.
 *
 * @module
 */
import { BurrowClient, type LoginResult } from "../client/burrow_client.ts";
import { readCaFile } from "../client/connection.ts";
import { connectFirst, lostServer } from "../client/failover.ts";
import { serverText } from "../client/server_address.ts";
import { errorMessage } from "../errors.ts";
import type { ParsedArgs } from "./command.ts";
import { type ClientConfig, processEnv, resolveClientConfig } from "./config.ts";
import { printError } from "./output.ts";
import { readPassword, StdinLines } from "./password_input.ts";

/** A connected client. */
export interface ClientContext {
  config: ClientConfig;
  client: BurrowClient;
}

/**
 * One password a command asks for: from the next line of stdin with --password-stdin, else the
 * environment variable `envName`, else a terminal prompt labelled `label` (asked twice when
 * `confirm`).
 */
export interface PasswordQuestion {
  label: string;
  envName: string;
  confirm: boolean;
}

/** The current password of the user (`BURROW_PASSWORD`). */
export const CURRENT_PASSWORD: PasswordQuestion = {
  label: "Password",
  envName: "BURROW_PASSWORD",
  confirm: false,
};

/** How a command lives with several servers. */
export interface FailoverOptions {
  /**
   * Whether the command may start again through the next server when its server is lost on the
   * way (a push: what reached the lost server is not sent twice when the servers share a store,
   * and is sent again when they do not). Commands that write locally or remove data do not.
   */
  startAgain: boolean;
}

/**
 * Asks `questions` in order, then connects to the first of the command's servers that answers,
 * runs `body` with the answers, and always closes. With `failover.startAgain`, a body that
 * loses its server runs again through the next one.
 */
export async function withConnection<T>(
  args: ParsedArgs,
  questions: readonly PasswordQuestion[],
  body: (ctx: ClientContext, passwords: string[]) => Promise<T>,
  failover: FailoverOptions = { startAgain: false },
): Promise<T> {
  const config = resolveClientConfig(args, processEnv);
  const caCerts = config.caPath === null ? null : [await readCaFile(config.caPath)];
  const stdin = new StdinLines();
  const passwords: string[] = [];
  for (const question of questions) {
    passwords.push(
      await readPassword(
        { fromStdin: config.passwordStdin, fromEnv: processEnv(question.envName), stdin },
        question.label,
        question.confirm,
      ),
    );
  }
  const servers = config.servers;
  for (let from = 0;;) {
    const { client, at } = await connectFirst(servers, from, { caCerts });
    try {
      return await body({ config, client }, passwords);
    } catch (error) {
      if (!failover.startAgain || !lostServer(error) || at + 1 >= servers.length) throw error;
      printError(
        `burrow: lost the server ${serverText(servers[at]!)}: ${
          errorMessage(error)
        }; going on through ${serverText(servers[at + 1]!)}`,
      );
      from = at + 1;
    } finally {
      await client.close().catch(() => {});
    }
  }
}

/**
 * Asks for the current password (then `more` questions), connects, logs in, runs `body` with
 * the answers to `more`, and always closes.
 */
export function withLogin<T>(
  args: ParsedArgs,
  body: (ctx: ClientContext, login: LoginResult, more: string[]) => Promise<T>,
  more: readonly PasswordQuestion[] = [],
  failover?: FailoverOptions,
): Promise<T> {
  return withConnection(args, [CURRENT_PASSWORD, ...more], async (ctx, [password, ...rest]) => {
    const login = await ctx.client.login(ctx.config.user, password!);
    return await body(ctx, login, rest);
  }, failover);
}
