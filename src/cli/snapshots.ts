/** `burrow snapshots [--name SET]`: lists the logged-in user's snapshots. @module */
import { RemoteRepository } from "../client/remote_repository.ts";
import { validateSetName } from "../names.ts";
import type { SnapshotRecord } from "../format/snapshot_model.ts";
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import { withLogin } from "./client_session.ts";
import { CLIENT_FLAGS } from "./config.ts";
import { formatBytes, formatTime } from "../display.ts";
import { printJson, printLine, printTable } from "./output.ts";
import { printListingWarnings } from "./snapshot_warnings.ts";

/** What `snapshots --json` prints for each snapshot. */
export function snapshotJson(s: SnapshotRecord): Record<string, unknown> {
  return {
    id: s.id,
    set: s.set,
    time: s.time,
    host: s.host,
    source: s.source,
    files: s.summary.files,
    size: s.summary.bytes,
    parent: s.parent,
    ...(s.summary.warnings > 0 ? { incomplete: true, warnings: s.summary.warnings } : {}),
  };
}

async function run(args: ParsedArgs): Promise<void> {
  const nameFlag = stringFlag(args, "name");
  const set = nameFlag === undefined ? undefined : validateSetName(nameFlag);
  const all = await withLogin(args, async ({ client }, login) => {
    const repository = await RemoteRepository.open(client, login, { create: false });
    if (repository === null) return [];
    const listing = await repository.listSnapshots();
    printListingWarnings(listing);
    return listing.records;
  });
  const snapshots = set === undefined ? all : all.filter((s) => s.set === set);
  if (booleanFlag(args, "json")) {
    printJson(snapshots.map(snapshotJson));
    return;
  }
  if (snapshots.length === 0) {
    printLine(set === undefined ? "no snapshots" : `no snapshots of set "${set}"`);
    return;
  }
  printTable(
    ["ID", "SET", "TIME", "HOST", "PATH", "FILES", "SIZE"],
    snapshots.map((s) => [
      s.id,
      s.set,
      formatTime(s.time),
      s.host,
      s.source,
      s.summary.warnings > 0 ? `${s.summary.files} (incomplete)` : String(s.summary.files),
      formatBytes(s.summary.bytes),
    ]),
  );
}

/** The `snapshots` command. */
export const snapshotsCommand: Command = {
  name: "snapshots",
  usage: "snapshots [--name SET] [client options] [--json]",
  description:
    "Logs in and lists your snapshots (id, set, time, host, path, files, size), oldest first. A snapshot\n" +
    "whose record cannot be read is named on stderr and left out.",
  examples: [
    "snapshots",
    "snapshots --name Documents --json",
  ],
  flags: {
    name: { type: "string", value: "SET", help: "Only the snapshots of this set" },
    ...CLIENT_FLAGS,
    json: { type: "boolean", help: "Print a JSON array instead of a table" },
  },
  positionals: { min: 0, max: 0 },
  run,
};
