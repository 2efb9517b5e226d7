/**
 * `burrow forget`: removes snapshots chosen by a retention policy (`--keep-*`, applied per set)
 * or by id, and lists every snapshot kept or removed with the rules that kept it. Refuses to run
 * without a rule or an id, so it never removes everything by mistake. `--prune` then frees the
 * space (`prune.ts`).
 *
 * @module
 */
import { applyPolicy, hasRules, parseDuration, type RetentionPolicy } from "../backup/retention.ts";
import { RemoteRepository } from "../client/remote_repository.ts";
import { formatTime } from "../display.ts";
import { NotFoundError, UsageError } from "../errors.ts";
import type { SnapshotRecord } from "../format/snapshot_model.ts";
import { validateSetName, validateSnapshotId } from "../names.ts";
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import { withLogin } from "./client_session.ts";
import { CLIENT_FLAGS } from "./config.ts";
import { printJson, printLine, printTable } from "./output.ts";
import {
  MAX_UNUSED_FLAG,
  maxUnusedFlag,
  printPruneSummary,
  type PruneSummary,
  pruneWith,
} from "./prune.ts";
import { printListingWarnings } from "./snapshot_warnings.ts";

const COUNT_RULES = ["last", "hourly", "daily", "weekly", "monthly", "yearly"] as const;

/** One snapshot's fate. */
interface Decision {
  record: SnapshotRecord;
  keep: boolean;
  reasons: string[];
}

/** Reads the `--keep-*` flags. @throws {UsageError} on a count or duration that does not parse */
function policyFlags(args: ParsedArgs): RetentionPolicy {
  const policy: RetentionPolicy = {};
  for (const rule of COUNT_RULES) {
    const text = stringFlag(args, `keep-${rule}`);
    if (text === undefined) continue;
    const count = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
    if (!(count >= 1)) {
      throw new UsageError(
        `Invalid --keep-${rule} "${text}": expected a whole number of at least 1`,
      );
    }
    policy[rule] = count;
  }
  const within = stringFlag(args, "keep-within");
  if (within !== undefined) {
    try {
      policy.within = parseDuration(within);
    } catch (error) {
      throw new UsageError(`Invalid --keep-within "${within}": expected a duration like 1y2m3d4h`, {
        cause: error,
      });
    }
  }
  return policy;
}

/** Decides by id: the given ids go, every other snapshot of the listing stays. */
function byIds(records: SnapshotRecord[], ids: string[]): Decision[] {
  const known = new Set(records.map((r) => r.id));
  const missing = ids.find((id) => !known.has(id));
  if (missing !== undefined) {
    throw new NotFoundError(`Cannot forget snapshot ${missing}: it does not exist`);
  }
  return records.filter((r) => ids.includes(r.id)).map((record) => ({
    record,
    keep: false,
    reasons: [],
  }));
}

function printDecisions(decisions: Decision[], dryRun: boolean): void {
  const removed = decisions.filter((d) => !d.keep).length;
  printTable(
    ["ACTION", "ID", "SET", "TIME", "REASONS"],
    decisions.map((d) => [
      d.keep ? "keep" : dryRun ? "would remove" : "remove",
      d.record.id,
      d.record.set,
      formatTime(d.record.time),
      d.reasons.join(", "),
    ]),
  );
  printLine(
    `${dryRun ? "dry run: would remove" : "removed"} ${removed} snapshots, kept ${
      decisions.length - removed
    }`,
  );
}

async function run(args: ParsedArgs): Promise<void> {
  const ids = args.positionals.map(validateSnapshotId);
  const policy = policyFlags(args);
  const nameFlag = stringFlag(args, "name");
  const set = nameFlag === undefined ? undefined : validateSetName(nameFlag);
  if (ids.length > 0 && (hasRules(policy) || set !== undefined)) {
    throw new UsageError(
      "Cannot forget: give snapshot IDs or --keep-* rules (with --name), not both",
    );
  }
  if (ids.length === 0 && !hasRules(policy)) {
    throw new UsageError(
      "Cannot forget: no --keep-* rule and no snapshot ID given (that would remove every snapshot)",
    );
  }
  const dryRun = booleanFlag(args, "dry-run");
  const json = booleanFlag(args, "json");
  const prune = booleanFlag(args, "prune") ? { maxUnused: maxUnusedFlag(args), dryRun } : null;
  const result = await withLogin(args, async ({ client }, login) => {
    const repository = await RemoteRepository.open(client, login, { create: false });
    if (repository === null) {
      if (ids.length > 0) {
        throw new NotFoundError(`Cannot forget snapshot ${ids[0]}: it does not exist`);
      }
      return { decisions: [], pruned: null };
    }
    const listing = await repository.listSnapshots();
    if (!json) printListingWarnings(listing);
    const records = listing.records.filter((r) => set === undefined || r.set === set);
    const decisions: Decision[] = ids.length > 0
      ? byIds(records, ids)
      : applyPolicy(records, policy).map((d) => ({ ...d, record: d.snapshot }));
    const doomed = decisions.filter((d) => !d.keep).map((d) => d.record.id);
    if (!dryRun && doomed.length > 0) await client.forgetSnapshots(doomed);
    let pruned: PruneSummary | null = null;
    if (prune !== null) pruned = await pruneWith(client, login, prune);
    return { decisions, pruned };
  });
  if (json) {
    printJson({
      dryRun,
      snapshots: result.decisions.map((d) => ({
        id: d.record.id,
        set: d.record.set,
        time: d.record.time,
        action: d.keep ? "keep" : "remove",
        reasons: d.reasons,
      })),
      removed: result.decisions.filter((d) => !d.keep).length,
      kept: result.decisions.filter((d) => d.keep).length,
      ...(prune === null ? {} : { prune: result.pruned }),
    });
    return;
  }
  if (result.decisions.length === 0) printLine("no snapshots");
  else printDecisions(result.decisions, dryRun);
  if (prune !== null) printPruneSummary(result.pruned, false);
}

/** The `forget` command. */
export const forgetCommand: Command = {
  name: "forget",
  usage:
    "forget [--name SET] [--keep-last|hourly|daily|weekly|monthly|yearly N] [--keep-within DURATION] [--dry-run] [--prune] [client options] [--json] | forget ID...",
  description:
    "Applies the --keep-* rules to each set on its own (only SET with --name), newest first, as\n" +
    "restic's forget does, and removes the snapshots no rule keeps; or removes the snapshots\n" +
    "given by ID. Lists every snapshot kept or removed and the rules that kept it. Refuses to run\n" +
    "without a rule or an ID. The data stays on the server until a prune (--prune runs one).\n" +
    "Hours, days, weeks (ISO), months and years are counted in UTC.",
  examples: [
    "forget --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --prune",
    "forget --name Documents --keep-last 3 --dry-run",
    "forget --keep-within 1y6m",
    "forget 3f2a9c0d11e4b577",
  ],
  flags: {
    name: { type: "string", value: "SET", help: "Only the snapshots of this set" },
    "keep-last": { type: "string", value: "N", help: "Keep the N newest snapshots" },
    "keep-hourly": {
      type: "string",
      value: "N",
      help: "Keep the newest of each of the last N hours",
    },
    "keep-daily": {
      type: "string",
      value: "N",
      help: "Keep the newest of each of the last N days",
    },
    "keep-weekly": {
      type: "string",
      value: "N",
      help: "Keep the newest of each of the last N weeks",
    },
    "keep-monthly": {
      type: "string",
      value: "N",
      help: "Keep the newest of each of the last N months",
    },
    "keep-yearly": {
      type: "string",
      value: "N",
      help: "Keep the newest of each of the last N years",
    },
    "keep-within": {
      type: "string",
      value: "DURATION",
      help: "Keep every snapshot within 1y2m3d4h of the set's newest",
    },
    "dry-run": { type: "boolean", help: "Only list what would be removed; remove nothing" },
    prune: { type: "boolean", help: "Run a prune afterwards (see burrow prune --help)" },
    ...MAX_UNUSED_FLAG,
    ...CLIENT_FLAGS,
    json: { type: "boolean", help: "Print the decisions as one JSON object" },
  },
  positionals: { min: 0, max: 10_000 },
  run,
};
