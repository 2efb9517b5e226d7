/** `burrow passwd`: a logged-in user changes their own password. @module */
import { RemoteRepository } from "../client/remote_repository.ts";
import { AuthError } from "../errors.ts";
import { type Command, type ParsedArgs } from "./command.ts";
import { type PasswordQuestion, withLogin } from "./client_session.ts";
import { CLIENT_FLAGS } from "./config.ts";
import { printLine } from "./output.ts";

const NEW_PASSWORD: PasswordQuestion = {
  label: "New password",
  envName: "BURROW_NEW_PASSWORD",
  confirm: true,
};

async function run(args: ParsedArgs): Promise<void> {
  const user = await withLogin(args, async (ctx, login, [password]) => {
    const repository = await RemoteRepository.open(ctx.client, login, { create: false })
      .catch((error) => {
        // A temporary password opens nothing until it is changed; such an account has no key
        // yet (useradd refuses a name whose repository remains, and it could not push).
        if (error instanceof AuthError && error.code === "PASSWORD_EXPIRED") return null;
        throw error;
      });
    await ctx.client.changePassword(
      password!,
      repository === null ? null : (kek) => repository.rewrap(kek),
    );
    return ctx.config.user;
  }, [NEW_PASSWORD]);
  printLine(`password of "${user}" changed`);
}

/** The `passwd` command. */
export const passwdCommand: Command = {
  name: "passwd",
  usage: "passwd [client options]",
  description:
    "Logs in with the current password, then sets a new one; the old one stops working at once\n" +
    "and your backups stay readable (their key is re-wrapped for the new password). The new one\n" +
    "needs as many characters as the server asks for (8 unless it says otherwise). An account\n" +
    "whose password an administrator set as temporary must run this before anything else.\n" +
    "With --password-stdin, the first line of stdin is the current password and the second the\n" +
    "new one. Otherwise the current one comes from BURROW_PASSWORD (or a prompt) and the new one\n" +
    "from BURROW_NEW_PASSWORD (or a prompt, asked twice).",
  examples: [
    "passwd                               # asks for the current and the new password",
  ],
  flags: { ...CLIENT_FLAGS },
  positionals: { min: 0, max: 0 },
  run,
};
