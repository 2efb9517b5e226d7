/** `burrow signup`: creates your own account on a server that allows it. @module */
import { type Command, type ParsedArgs } from "./command.ts";
import { withConnection } from "./client_session.ts";
import { CLIENT_FLAGS } from "./config.ts";
import { printLine } from "./output.ts";

async function run(args: ParsedArgs): Promise<void> {
  const question = { label: "New password", envName: "BURROW_PASSWORD", confirm: true };
  const user = await withConnection(args, [question], async (ctx, [password]) => {
    await ctx.client.signup(ctx.config.user, password!);
    return ctx.config.user;
  });
  printLine(`user "${user}" created`);
}

/** The `signup` command. */
export const signupCommand: Command = {
  name: "signup",
  usage: "signup [client options]",
  description:
    "Creates the account --user on the server, when it runs with --allow-signup. The password\n" +
    "is read like for any client command and never leaves this machine: only a key derived\n" +
    "from it with Argon2id is sent.",
  examples: [
    "signup --server backup.example.org:7443 --ca ca.pem --user alice",
  ],
  flags: { ...CLIENT_FLAGS },
  positionals: { min: 0, max: 0 },
  run,
};
