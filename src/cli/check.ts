/** `burrow check`: checks that every snapshot of the user can be restored from what the server holds. @module */
import type { CheckReport, SnapshotCheck } from "../backup/check.ts";
import { type DataSubset, parseDataSubset } from "../backup/data_subset.ts";
import { RemoteRepository } from "../client/remote_repository.ts";
import { formatBytes, formatSeconds } from "../display.ts";
import { IntegrityError, UsageError } from "../errors.ts";
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import { withLogin } from "./client_session.ts";
import { CLIENT_FLAGS } from "./config.ts";
import { printJson, printLine } from "./output.ts";
import { damagedChunksLine } from "./snapshot_warnings.ts";

/** One line about one snapshot. */
function describe(check: SnapshotCheck): string {
  if (check.status === "unreadable") return `snapshot ${check.id}: cannot be used: ${check.reason}`;
  const where = `snapshot ${check.id} (set "${check.record.set}", ${check.record.time})`;
  if (check.status === "ok") return `${where}: ok`;
  if (check.reason !== undefined) return `${where}: its file list cannot be read: ${check.reason}`;
  const more = check.filesAffected > check.files.length
    ? `, and ${check.filesAffected - check.files.length} more`
    : "";
  const counts = [
    check.missingChunks > 0 ? `${check.missingChunks} chunks missing on the server` : "",
    check.damagedChunks > 0 ? `${check.damagedChunks} chunks damaged` : "",
  ].filter((part) => part !== "").join(", ");
  return `${where}: ${counts}, in ${check.filesAffected} files: ${check.files.join(", ")}${more}`;
}

/**
 * Threads that open and verify fetched blobs while reading data. Unlike a pull, nothing else
 * competes for the CPU but the thread reading replies.
 */
const OPEN_WORKERS = 2;

/** What `--read-data` / `--read-data-subset` ask for, or undefined. @throws {UsageError} */
function readDataFlag(args: ParsedArgs): DataSubset | undefined {
  const all = booleanFlag(args, "read-data");
  const subset = stringFlag(args, "read-data-subset");
  if (all && subset !== undefined) {
    throw new UsageError("Cannot use --read-data with --read-data-subset: give one of them");
  }
  if (subset !== undefined) return parseDataSubset(subset);
  return all ? { kind: "all" } : undefined;
}

/** The closing line: what was checked and read, and whether anything is wrong. */
function summary(report: CheckReport, seconds: number): string {
  const references = report.snapshots.reduce((sum, s) => sum + ("chunks" in s ? s.chunks : 0), 0);
  const data = report.data;
  const read = data === undefined
    ? `${references} chunk references`
    : `${report.files} files; read ${data.chunksRead} of ${data.chunksReferenced} data chunks, ${
      formatBytes(data.bytesRead)
    }`;
  const verdict = report.problems === 0 ? "no problems found" : `${report.problems} problems found`;
  return `checked ${report.snapshots.length} snapshots (${read}) in ${
    formatSeconds(seconds)
  }: ${verdict}`;
}

function toJson(report: CheckReport): Record<string, unknown> {
  return {
    problems: report.problems,
    damagedChunks: report.damagedChunks,
    files: report.files,
    ...(report.data === undefined ? {} : { data: report.data }),
    snapshots: report.snapshots.map((check) => {
      if (check.status === "unreadable") return check;
      const { record, ...rest } = check;
      return { ...rest, set: record.set, time: record.time };
    }),
  };
}

async function run(args: ParsedArgs): Promise<void> {
  const json = booleanFlag(args, "json");
  const readData = readDataFlag(args);
  const started = performance.now();
  const { checkRepository } = await import("../backup/check.ts");
  const report = await withLogin(args, async ({ client }, login) => {
    const repository = await RemoteRepository.open(client, login, { create: false });
    if (repository === null) return null;
    const listing = await repository.listSnapshots();
    return await checkRepository(client, repository, listing, {
      readData,
      openWorkers: OPEN_WORKERS,
      onSnapshot: json ? undefined : (check) => printLine(describe(check)),
    });
  });
  if (report === null) {
    if (json) printJson({ problems: 0, damagedChunks: 0, files: 0, snapshots: [] });
    else printLine("no repository yet: nothing to check");
    return;
  }
  if (json) printJson(toJson(report));
  else {
    if (report.damagedChunks > 0) printLine(`server: ${damagedChunksLine(report.damagedChunks)}`);
    if ((report.data?.chunksSetAside ?? 0) > 0) {
      printLine(
        `server: set aside ${
          report.data!.chunksSetAside
        } damaged chunks; the next push of the files they belong to stores them again`,
      );
    }
    printLine(summary(report, (performance.now() - started) / 1000));
  }
  if (report.problems > 0) {
    throw new IntegrityError(`Cannot verify the repository: ${report.problems} problems found`);
  }
}

/** The `check` command. */
export const checkCommand: Command = {
  name: "check",
  usage: "check [--read-data | --read-data-subset N%|K/M] [client options] [--json]",
  description:
    "Opens every snapshot record, reads every file list (verifying each of its chunks), and\n" +
    "checks that the server holds every chunk they name; without --read-data, data chunks are\n" +
    "not downloaded. --read-data downloads every chunk the snapshots' files reference, once,\n" +
    "and verifies it (tag and id) as a restore would; --read-data-subset reads N% of them\n" +
    "chosen at random, or part K of M of a stable split by chunk id (parts 1/M to M/M together\n" +
    "read every chunk once). Chunks that do not verify are reported to the server, which sets\n" +
    "them aside so the next push stores them again. Chunks no snapshot references are not read\n" +
    "(prune removes them; the administrator's `burrow scrub` checks every stored pack).\n" +
    "Exits 4 when something is missing or damaged, naming the snapshots and files affected.",
  examples: [
    "check",
    "check --read-data",
    "check --read-data-subset 1/5          # a fifth of the data; 2/5 to 5/5 on later runs",
    "check --read-data-subset 10% --json",
  ],
  flags: {
    ...CLIENT_FLAGS,
    "read-data": {
      type: "boolean",
      help: "Download and verify every chunk the snapshots reference",
    },
    "read-data-subset": {
      type: "string",
      value: "N%|K/M",
      help: "Download and verify N% of the chunks (random), or part K of M (by chunk id)",
    },
    json: { type: "boolean", help: "Print the report as one JSON object" },
  },
  positionals: { min: 0, max: 0 },
  run,
};
