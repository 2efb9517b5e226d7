/** `burrow check`: checks that every snapshot of the user can be restored from what the server holds. @module */
import type { CheckReport, SnapshotCheck } from "../backup/check.ts";
import { RemoteRepository } from "../client/remote_repository.ts";
import { IntegrityError } from "../errors.ts";
import { booleanFlag, type Command, type ParsedArgs } from "./command.ts";
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
  return `${where}: ${check.missingChunks} chunks missing on the server, in ${check.filesAffected} files: ${
    check.files.join(", ")
  }${more}`;
}

function toJson(report: CheckReport): Record<string, unknown> {
  return {
    problems: report.problems,
    damagedChunks: report.damagedChunks,
    snapshots: report.snapshots.map((check) => {
      if (check.status === "unreadable") return check;
      const { record, ...rest } = check;
      return { ...rest, set: record.set, time: record.time };
    }),
  };
}

async function run(args: ParsedArgs): Promise<void> {
  const json = booleanFlag(args, "json");
  const { checkRepository } = await import("../backup/check.ts");
  const report = await withLogin(args, async ({ client }, login) => {
    const repository = await RemoteRepository.open(client, login, { create: false });
    if (repository === null) return null;
    const listing = await repository.listSnapshots();
    return await checkRepository(
      client,
      repository,
      listing,
      json ? undefined : (check) => printLine(describe(check)),
    );
  });
  if (report === null) {
    if (json) printJson({ problems: 0, damagedChunks: 0, snapshots: [] });
    else printLine("no repository yet: nothing to check");
    return;
  }
  if (json) printJson(toJson(report));
  else {
    if (report.damagedChunks > 0) printLine(`server: ${damagedChunksLine(report.damagedChunks)}`);
    const references = report.snapshots.reduce((sum, s) => sum + ("chunks" in s ? s.chunks : 0), 0);
    printLine(
      `checked ${report.snapshots.length} snapshots (${references} chunk references): ${
        report.problems === 0 ? "no problems found" : `${report.problems} problems found`
      }`,
    );
  }
  if (report.problems > 0) {
    throw new IntegrityError(`Cannot verify the repository: ${report.problems} problems found`);
  }
}

/** The `check` command. */
export const checkCommand: Command = {
  name: "check",
  summary: "Check that every snapshot can be restored from what the server holds",
  usage: "check [client options] [--json]",
  description:
    "Opens every snapshot record, reads every file list (verifying each of its chunks), and\n" +
    "checks that the server holds every chunk they name; data chunks are not downloaded.\n" +
    "Exits 4 when something is missing or damaged, naming the snapshots and files affected.",
  examples: [
    "check",
    "check --json",
  ],
  flags: {
    ...CLIENT_FLAGS,
    json: { type: "boolean", help: "Print the report as one JSON object" },
  },
  positionals: { min: 0, max: 0 },
  run,
};
