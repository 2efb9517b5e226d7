/** `burrow snapshots [--name SET]`: lists the logged-in user's snapshots. @module */
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import { withLogin } from "./client_session.ts";
import { CLIENT_FLAGS } from "./config.ts";
import { printJson, printLine, printTable } from "./output.ts";

async function run(args: ParsedArgs): Promise<void> {
  const set = stringFlag(args, "name");
  const snapshots = await withLogin(args, ({ client }) => client.listSnapshots(set));
  if (booleanFlag(args, "json")) {
    printJson(snapshots);
    return;
  }
  if (snapshots.length === 0) {
    printLine(set === undefined ? "no snapshots" : `no snapshots of set "${set}"`);
    return;
  }
  printTable(
    ["ID", "SET", "TIME", "HOST", "FILES", "SIZE"],
    snapshots.map((s) => [s.id, s.set, s.time, s.host, String(s.files), formatBytes(s.bytes)]),
  );
}

/** Bytes in binary units with one decimal, e.g. "1.5 MiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The `snapshots` command. */
export const snapshotsCommand: Command = {
  name: "snapshots",
  summary: "List your snapshots",
  usage: "snapshots [--name SET] [client options] [--json]",
  description: "Logs in and lists your snapshots (id, set, time, host, files, size).",
  flags: {
    name: { type: "string", value: "SET", help: "Only the snapshots of this set" },
    ...CLIENT_FLAGS,
    json: { type: "boolean", help: "Print a JSON array instead of a table" },
  },
  positionals: { min: 0, max: 0 },
  run,
};
