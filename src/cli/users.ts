/**
 * `burrow users [--json]`: lists the accounts of an existing user store with their usage and
 * limits; creates nothing. Stored bytes and the last push come from what the server recorded in
 * each repository folder (`store/repository_usage.ts`), the snapshot count from the folder's
 * records, so it reads the same while the server runs. Where servers share their repositories
 * in the user store's PostgreSQL database, all three come from there (`postgres_usage.ts`), the
 * same whichever server the pushes went through.
 *
 * @module
 */
import { formatSize, formatTime } from "../display.ts";
import { userRepositoryDir } from "../store/layout.ts";
import { countSnapshots, readUsage } from "../store/repository_usage.ts";
import type { UserRecord } from "../users/user_store.ts";
import { booleanFlag, type Command, type ParsedArgs } from "./command.ts";
import { type AdminStore, openAdminStore } from "./admin_store.ts";
import type { SharedUsage } from "../store/postgres/postgres_usage.ts";
import { parseStoreSpec } from "../users/registry.ts";
import { STORE_FLAGS } from "./config.ts";
import { describeLimits } from "./_account_limits.ts";
import { printJson, printLine, printTable } from "./output.ts";

/** One account as `users` shows it. */
interface UserRow {
  name: string;
  created: string;
  lastLogin: string | null;
  /** The time of the last committed snapshot, or null when none is recorded. */
  lastPush: string | null;
  snapshots: number;
  /** Bytes of sealed chunks stored, or null when the server has not recorded them yet. */
  storedBytes: number | null;
  quota: number | null;
  appendOnly: boolean;
  disabled: boolean;
  temporaryPassword: boolean;
}

/** What a row shows of a repository's usage. */
type Usage = Pick<UserRow, "lastPush" | "snapshots" | "storedBytes">;

/** The usage of `record`'s repository as recorded in its folder in `dataDir`. */
async function folderUsage(dataDir: string, record: UserRecord): Promise<Usage> {
  const dir = userRepositoryDir(dataDir, record.name);
  const usage = await readUsage(dir);
  const exists = await Deno.lstat(dir).then(() => true, () => false);
  return {
    lastPush: usage?.lastPush ?? null,
    snapshots: await countSnapshots(dir),
    storedBytes: usage?.storedBytes ?? (exists ? null : 0),
  };
}

/** `record`'s row, with the usage of its repository. */
function rowOf(record: UserRecord, usage: Usage): UserRow {
  return {
    name: record.name,
    created: record.created,
    lastLogin: record.lastLogin,
    ...usage,
    quota: record.quota,
    appendOnly: record.appendOnly,
    disabled: record.disabled,
    temporaryPassword: record.temporaryPassword,
  };
}

/**
 * The usage of `records`' repositories in the shared database of a postgres user store, or null
 * when it holds no shared repositories (their usage is then in the data folder).
 */
async function sharedUsageOf(
  admin: AdminStore,
  records: UserRecord[],
): Promise<Map<string, SharedUsage> | null> {
  if (parseStoreSpec(admin.usersSpec).scheme !== "postgres") return null;
  const { connectSharedRepositories } = await import("./_serve_shared.ts");
  const shared = await connectSharedRepositories(admin.usersSpec, admin.password, {
    create: false,
  });
  if (shared === null) return null;
  try {
    return await shared.usage(records);
  } finally {
    await shared.close();
  }
}

async function run(args: ParsedArgs): Promise<void> {
  const admin = await openAdminStore(args, "refuse");
  const { dataDir, store } = admin;
  let records: UserRecord[];
  let shared: Map<string, SharedUsage> | null;
  try {
    records = await store.list();
    shared = await sharedUsageOf(admin, records);
  } finally {
    await store.close();
  }
  const rows: UserRow[] = [];
  for (const record of records) {
    rows.push(rowOf(record, shared?.get(record.name) ?? await folderUsage(dataDir, record)));
  }
  if (booleanFlag(args, "json")) {
    printJson(rows);
    return;
  }
  if (rows.length === 0) {
    printLine("no users (add one with: burrow useradd NAME)");
    return;
  }
  const time = (iso: string | null) => iso === null ? "never" : formatTime(iso);
  printTable(
    ["NAME", "CREATED", "LAST LOGIN", "LAST PUSH", "SNAPSHOTS", "STORED", "QUOTA", "FLAGS"],
    rows.map((r) => [
      r.name,
      formatTime(r.created),
      time(r.lastLogin),
      time(r.lastPush),
      String(r.snapshots),
      r.storedBytes === null ? "?" : formatSize(r.storedBytes),
      r.quota === null ? "none" : formatSize(r.quota),
      [describeLimits({ ...r, quota: null }), r.temporaryPassword ? "temporary password" : ""]
        .filter((flag) => flag !== "").join(", "),
    ]),
  );
}

/** The `users` command. */
export const usersCommand: Command = {
  name: "users",
  usage: "users [--data DIR] [--users STORE] [--json]",
  description:
    "Lists every account with its creation time, last login, last push, number of snapshots,\n" +
    "bytes stored (sealed chunks, as the quota counts them; ? until the server has opened the\n" +
    "repository once), quota, and flags: append-only, disabled, and whether its password is still\n" +
    "the temporary one an administrator set. Reads an existing user store; creates nothing.",
  examples: [
    "users",
    "users --data /srv/burrow --json",
  ],
  flags: {
    ...STORE_FLAGS,
    json: {
      type: "boolean",
      help:
        "Print a JSON array of {name, created, lastLogin, lastPush, snapshots, storedBytes, quota, appendOnly, disabled, temporaryPassword}",
    },
  },
  positionals: { min: 0, max: 0 },
  run,
};
