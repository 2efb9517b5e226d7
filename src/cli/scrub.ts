/**
 * `burrow scrub [NAME...]`: the administrator's check of what the server holds, without any
 * user's key (`store/repository_scrub.ts`): packs against the SHA-256 kept at sealing, records
 * against their headers and checksums, indexes against packs. It holds the data folder's lock, so
 * it refuses while a server runs and no server starts while it reads; it changes nothing.
 *
 * @module
 */
import { formatBytes, formatSeconds } from "../display.ts";
import { IntegrityError, NotFoundError } from "../errors.ts";
import { MAX_SNAPSHOT_RECORD } from "../protocol/payloads.ts";
import { lockDataDir } from "../server/data_lock.ts";
import { userRepositoryDir } from "../store/layout.ts";
import { type ScrubReport, scrubRepository } from "../store/repository_scrub.ts";
import { validateUserName } from "../names.ts";
import { booleanFlag, type Command, type ParsedArgs } from "./command.ts";
import { openAdminStore } from "./admin_store.ts";
import { STORE_FLAGS } from "./config.ts";
import { printJson, printLine } from "./output.ts";

/** Blob ids named per damaged pack in the text output (JSON has them all). */
const MAX_BLOBS_NAMED = 20;

/** One user's result: their report, or null when they have no repository. */
interface UserScrub {
  name: string;
  report: ScrubReport | null;
}

/** The accounts to scrub: the named ones (each must exist) or all, by name. */
async function chooseUsers(args: ParsedArgs): Promise<{ dataDir: string; names: string[] }> {
  const { dataDir, store } = await openAdminStore(args, "refuse");
  try {
    const all = (await store.list()).map((record) => record.name).sort();
    const named = args.positionals.map(validateUserName);
    for (const name of named) {
      if (!all.includes(name)) throw new NotFoundError(`Cannot scrub user "${name}": no such user`);
    }
    return { dataDir, names: named.length > 0 ? [...new Set(named)] : all };
  } finally {
    await store.close();
  }
}

/** The lines that describe one user's result. */
function describe({ name, report }: UserScrub): string[] {
  if (report === null) return [`user "${name}": no backups`];
  const unchecked = report.packs - report.packsHashChecked;
  const lines = [
    `user "${name}": ${report.packs} packs (${unchecked} not hash-checked), ${report.blobs} blobs, ${
      formatBytes(report.bytes)
    }, ${report.snapshots} snapshot records: ${
      report.damage.length === 0 ? "ok" : `${report.damage.length} damaged`
    }`,
  ];
  for (const damage of report.damage) {
    const where = damage.pack !== undefined ? `pack ${damage.pack}` : `snapshot ${damage.snapshot}`;
    lines.push(`user "${name}": ${where}: ${damage.problems.join("; ") || "damaged blobs"}`);
    for (const blob of damage.blobs.slice(0, MAX_BLOBS_NAMED)) {
      lines.push(`user "${name}": ${where}: blob ${blob.id}: ${blob.reason}`);
    }
    const more = damage.blobs.length - MAX_BLOBS_NAMED;
    if (more > 0) lines.push(`user "${name}": ${where}: and ${more} more blobs`);
  }
  for (const pack of report.packsWithoutIndex) {
    lines.push(`user "${name}": pack ${pack} has no index; the server rebuilds it on next start`);
  }
  return lines;
}

async function run(args: ParsedArgs): Promise<void> {
  const json = booleanFlag(args, "json");
  const started = performance.now();
  const { dataDir, names } = await chooseUsers(args);
  const lock = await lockDataDir(dataDir, 500, "scrub the repositories");
  const users: UserScrub[] = [];
  try {
    for (const name of names) {
      const dir = userRepositoryDir(dataDir, name);
      const exists = await Deno.stat(`${dir}/chunks`).then(() => true, () => false);
      const report = exists
        ? await scrubRepository(dir, { maxSnapshotRecordBytes: MAX_SNAPSHOT_RECORD })
        : null;
      users.push({ name, report });
      if (!json) describe({ name, report }).forEach((line) => printLine(line));
    }
  } finally {
    lock.release();
  }
  const reports = users.flatMap((user) => user.report ?? []);
  const sum = (pick: (report: ScrubReport) => number) =>
    reports.reduce((total, report) => total + pick(report), 0);
  const totals = {
    users: users.length,
    packs: sum((r) => r.packs),
    packsNotHashChecked: sum((r) => r.packs - r.packsHashChecked),
    blobs: sum((r) => r.blobs),
    bytes: sum((r) => r.bytes),
    problems: sum((r) => r.damage.length),
    seconds: (performance.now() - started) / 1000,
  };
  if (json) printJson({ ...totals, results: users });
  else {
    printLine(
      `scrubbed ${totals.users} users: ${totals.packs} packs (${totals.packsNotHashChecked} not hash-checked: indexed before packs were hashed, or rebuilt), ${totals.blobs} blobs, ${
        formatBytes(totals.bytes)
      } in ${formatSeconds(totals.seconds)}: ${
        totals.problems === 0 ? "no damage found" : `${totals.problems} problems found`
      }`,
    );
  }
  if (totals.problems > 0) {
    throw new IntegrityError(`Cannot verify the stored data: ${totals.problems} problems found`);
  }
}

/** The `scrub` command. */
export const scrubCommand: Command = {
  name: "scrub",
  usage: "scrub [NAME...] [--data DIR] [--users STORE] [--json]",
  description:
    "Reads every pack of every account's repository (or of the accounts named) and checks,\n" +
    "without any key, what the server can check alone: each pack's bytes against the SHA-256\n" +
    "kept when it was sealed, each record's header, length and checksum, that the indexes and\n" +
    "packs agree, and that snapshot record files have a possible size. Packs whose index\n" +
    "predates pack hashes are checked record by record and counted as not hash-checked.\n" +
    "Changes nothing. Refuses while a burrow serve uses the data folder. Exits 4 on damage,\n" +
    "naming the user, the pack and the blobs in it; only the owner's `check --read-data` can\n" +
    "tell whether a blob still opens under their key.",
  examples: [
    "scrub                                # every account",
    "scrub alice bob --json",
  ],
  flags: {
    ...STORE_FLAGS,
    json: { type: "boolean", help: "Print the report as one JSON object" },
  },
  positionals: { min: 0, max: 1000 },
  run,
};
