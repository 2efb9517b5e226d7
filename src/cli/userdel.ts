/** `burrow userdel NAME [--purge]`: removes an account, and with --purge its backups. @module */
import { userRepositoryDir } from "../repo/layout.ts";
import { openUserStore } from "../users/registry.ts";
import { validateUserName } from "../names.ts";
import { booleanFlag, type Command, type ParsedArgs } from "./command.ts";
import { processEnv, resolveStoreLocation, STORE_FLAGS } from "./config.ts";
import { printLine } from "./output.ts";

async function run(args: ParsedArgs): Promise<void> {
  const name = validateUserName(args.positionals[0] ?? "");
  const location = resolveStoreLocation(args, processEnv);
  const store = await openUserStore(location.usersSpec);
  try {
    await store.remove(name);
  } finally {
    await store.close();
  }
  const repoDir = userRepositoryDir(location.dataDir, name);
  if (booleanFlag(args, "purge")) {
    await Deno.remove(repoDir, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    printLine(`user "${name}" removed with their backups`);
  } else {
    printLine(`user "${name}" removed; their backups stay in ${repoDir} (use --purge to delete)`);
  }
}

/** The `userdel` command. */
export const userdelCommand: Command = {
  name: "userdel",
  summary: "Remove an account (and with --purge its backups)",
  usage: "userdel NAME [--data DIR] [--users STORE] [--purge]",
  description: "Removes the account NAME from the user store. Its backups are kept unless --purge.",
  flags: {
    ...STORE_FLAGS,
    purge: { type: "boolean", help: "Also delete the user's backups from the data folder" },
  },
  positionals: { min: 1, max: 1 },
  run,
};
