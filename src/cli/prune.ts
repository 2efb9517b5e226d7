/**
 * `burrow prune [--dry-run] [--max-unused PERCENT]`: removes the chunks no snapshot names.
 * The client takes the server's prune lock, lists the snapshots, reads their file lists and
 * sends the live chunk ids; the server deletes packs with nothing live and rewrites packs whose
 * unused share is above the threshold. `forget --prune` runs the same after a forget.
 *
 * @module
 */
import type { BurrowClient, LoginResult } from "../client/burrow_client.ts";
import { RemoteRepository } from "../client/remote_repository.ts";
import { liveChunks } from "../backup/live_chunks.ts";
import { formatBytes, formatSeconds } from "../display.ts";
import { UsageError } from "../errors.ts";
import {
  booleanFlag,
  type Command,
  type FlagSpec,
  type ParsedArgs,
  stringFlag,
} from "./command.ts";
import { withLogin } from "./client_session.ts";
import { CLIENT_FLAGS } from "./config.ts";
import { printJson, printLine } from "./output.ts";

/** restic's default: packs with up to 5% unused space are left alone. */
const DEFAULT_MAX_UNUSED = 5;

/** What a prune did, as `prune --json` prints it. */
export interface PruneSummary {
  dryRun: boolean;
  packsBefore: number;
  bytesBefore: number;
  packsAfter: number;
  bytesAfter: number;
  packsDeleted: number;
  packsRewritten: number;
  blobsRemoved: number;
  unusedBytesKept: number;
  bytesFreed: number;
  seconds: number;
}

/** The `--max-unused` flag, shared with `forget --prune`. */
export const MAX_UNUSED_FLAG: Record<string, FlagSpec> = {
  "max-unused": {
    type: "string",
    value: "PERCENT",
    help: `Rewrite packs with more unused space than this, 0-100 (default ${DEFAULT_MAX_UNUSED})`,
  },
};

/** Reads `--max-unused PERCENT` (a whole number 0–100, "%" allowed). @throws {UsageError} */
export function maxUnusedFlag(args: ParsedArgs): number {
  const text = stringFlag(args, "max-unused");
  if (text === undefined) return DEFAULT_MAX_UNUSED;
  const value = /^\d{1,3}%?$/.test(text) ? parseInt(text, 10) : NaN;
  if (!(value >= 0 && value <= 100)) {
    throw new UsageError(`Invalid --max-unused "${text}": expected a whole percent from 0 to 100`);
  }
  return value;
}

/** Prunes the logged-in user's repository over `client`. */
export async function pruneWith(
  client: BurrowClient,
  login: LoginResult,
  options: { maxUnused: number; dryRun: boolean },
): Promise<PruneSummary | null> {
  const repository = await RemoteRepository.open(client, login, { create: false });
  if (repository === null) return null;
  const started = performance.now();
  const report = await client.prune(
    async () => liveChunks(client, repository, await repository.listSnapshots()),
    options,
  );
  return {
    dryRun: options.dryRun,
    ...report,
    bytesFreed: report.bytesBefore - report.bytesAfter,
    seconds: Math.round(performance.now() - started) / 1000,
  };
}

/** Prints a prune's summary, as text or JSON. */
export function printPruneSummary(summary: PruneSummary | null, json: boolean): void {
  if (json) {
    printJson(summary ?? { dryRun: false, packsBefore: 0, packsAfter: 0, bytesFreed: 0 });
    return;
  }
  if (summary === null) {
    printLine("no repository yet: nothing to prune");
    return;
  }
  const s = summary;
  const would = s.dryRun ? "would be " : "";
  printLine(
    `${
      s.dryRun ? "dry run: " : ""
    }packs: ${s.packsBefore} before, ${s.packsAfter} after (${s.packsDeleted} ${would}deleted, ${s.packsRewritten} ${would}rewritten)`,
  );
  printLine(
    `bytes: ${formatBytes(s.bytesBefore)} before, ${formatBytes(s.bytesAfter)} after, ${
      formatBytes(s.bytesFreed)
    } ${s.dryRun ? "would be " : ""}freed (${s.blobsRemoved} chunks removed, ${
      formatBytes(s.unusedBytesKept)
    } unused kept in packs under the threshold)`,
  );
  printLine(`time: ${formatSeconds(s.seconds)}`);
}

async function run(args: ParsedArgs): Promise<void> {
  const options = { maxUnused: maxUnusedFlag(args), dryRun: booleanFlag(args, "dry-run") };
  const summary = await withLogin(args, ({ client }, login) => pruneWith(client, login, options));
  printPruneSummary(summary, booleanFlag(args, "json"));
}

/** The `prune` command. */
export const pruneCommand: Command = {
  name: "prune",
  usage: "prune [--dry-run] [--max-unused PERCENT] [client options] [--json]",
  description:
    "Reads every snapshot's file list and tells the server which chunks are still used; the\n" +
    "server deletes packs holding nothing used and rewrites packs with more unused space than\n" +
    "--max-unused. Pushes of your account wait or are refused while a prune runs. Prints packs\n" +
    "and bytes before and after, bytes freed and the time taken.",
  examples: [
    "prune",
    "prune --dry-run --max-unused 0",
  ],
  flags: {
    "dry-run": { type: "boolean", help: "Only say what would be freed; change nothing" },
    ...MAX_UNUSED_FLAG,
    ...CLIENT_FLAGS,
    json: { type: "boolean", help: "Print the summary as one JSON object" },
  },
  positionals: { min: 0, max: 0 },
  run,
};
