/** `burrow useradd NAME`: creates an account directly in the user store. @module */
import { DEFAULT_HASH_PARAMS, hashSecret } from "../auth/mod.ts";
import { newCredentials } from "../auth/new_credentials.ts";
import { UserExistsError } from "../errors.ts";
import { openUserStore } from "../users/registry.ts";
import { validateUserName } from "../names.ts";
import { type Command, type ParsedArgs } from "./command.ts";
import { processEnv, resolveStoreLocation, STORE_FLAGS } from "./config.ts";
import { printLine } from "./output.ts";
import { readPassword, StdinLines } from "./password_input.ts";

async function run(args: ParsedArgs): Promise<void> {
  const name = validateUserName(args.positionals[0] ?? "");
  const location = resolveStoreLocation(args, processEnv);
  const store = await openUserStore(location.usersSpec);
  try {
    // Fail before asking for a password when the name is taken; add() checks again atomically.
    if (await store.get(name) !== null) throw new UserExistsError(name);
    const password = await readPassword(
      {
        fromStdin: args.flags["password-stdin"] === true,
        fromEnv: processEnv("BURROW_PASSWORD"),
        stdin: new StdinLines(),
      },
      "Password",
      true,
    );
    const credentials = await newCredentials(password);
    const verifier = await hashSecret(credentials.authKey, DEFAULT_HASH_PARAMS);
    const created = new Date().toISOString();
    await store.add({ name, created, lastLogin: null, kdf: credentials.kdf, verifier });
  } finally {
    await store.close();
  }
  printLine(`user "${name}" added`);
}

/** The `useradd` command. */
export const useraddCommand: Command = {
  name: "useradd",
  summary: "Create an account in the user store",
  usage: "useradd NAME [--data DIR] [--users STORE] [--password-stdin]",
  description:
    "Creates the account NAME. The password is read from the first line of stdin with --password-stdin,\n" +
    "else from BURROW_PASSWORD, else asked twice on the terminal without echo. Only a salted\n" +
    "Argon2id hash of a key derived from it is stored.",
  examples: [
    "useradd alice                        # asks for her password twice",
    "useradd bob --password-stdin < pw.txt",
  ],
  flags: {
    ...STORE_FLAGS,
    "password-stdin": { type: "boolean", help: "Read the password from the first line of stdin" },
  },
  positionals: { min: 1, max: 1 },
  run,
};
