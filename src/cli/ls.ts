/**
 * `burrow ls [SNAPSHOT|latest] [PATH]`: the entries of a folder in a snapshot, read from its
 * manifest (no file data is fetched): names, or with `--long` mode, owner, size (a device's
 * numbers), mtime and what a link points to, as `ls -l` shows them.
 *
 * @module
 */
import { listPath, snapshotPath } from "../browse/tree_paths.ts";
import { isFileLike, modeText, mtimeText, ownerText, pathText } from "../browse/entry_text.ts";
import { nsToMs, type TreeEntry } from "../format/snapshot_model.ts";
import { validateSetName } from "../names.ts";
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import { CLIENT_FLAGS } from "./config.ts";
import { printJson, printLines } from "./output.ts";
import { withSnapshotTrees } from "./snapshot_choice.ts";

/**
 * What `--json` prints for each entry (mode: the permission bits as a number; a link's target,
 * a device's numbers and the owner where there are).
 */
export function entryJson(entry: TreeEntry): Record<string, unknown> {
  return {
    path: entry.path,
    type: entry.type,
    mode: entry.mode,
    size: entry.size,
    mtime: new Date(nsToMs(entry.mtimeNs)).toISOString(),
    ...(entry.target === "" ? {} : { target: entry.target }),
    ...(entry.device === undefined ? {} : { device: entry.device }),
    ...(entry.owner === undefined ? {} : { owner: entry.owner }),
  };
}

/**
 * `ls -l` style lines: mode, owner (`user/group`), size in bytes (files) or a device's numbers,
 * mtime, and the path with what a link points to.
 */
export function* longLines(entries: readonly TreeEntry[]): Generator<string> {
  const sizeOf = (entry: TreeEntry) =>
    entry.device !== undefined
      ? `${entry.device.major}, ${entry.device.minor}`
      : isFileLike(entry.type)
      ? String(entry.size)
      : "";
  const width = entries.reduce((w, entry) => Math.max(w, sizeOf(entry).length), 1);
  const owners = entries.reduce((w, entry) => Math.max(w, ownerText(entry).length), 1);
  for (const entry of entries) {
    yield `${modeText(entry)}  ${ownerText(entry).padEnd(owners)}  ${
      sizeOf(entry).padStart(width)
    }  ${mtimeText(entry.mtimeNs)}  ${pathText(entry)}`;
  }
}

async function run(args: ParsedArgs): Promise<void> {
  const [wanted = "latest", typed = ""] = args.positionals;
  const path = snapshotPath(typed);
  const nameFlag = stringFlag(args, "name");
  const set = nameFlag === undefined ? undefined : validateSetName(nameFlag);
  const recursive = booleanFlag(args, "recursive");
  const { record, entries } = await withSnapshotTrees(
    args,
    [wanted],
    set,
    "list",
    ([tree]) => ({ record: tree!.record, entries: listPath(tree!.entries, path, recursive) }),
  );
  if (booleanFlag(args, "json")) {
    printJson({
      snapshot: record.id,
      set: record.set,
      time: record.time,
      path,
      entries: entries.map(entryJson),
    });
  } else if (booleanFlag(args, "long")) await printLines(longLines(entries));
  else await printLines(entries.map((entry) => entry.path));
}

/** The `ls` command. */
export const lsCommand: Command = {
  name: "ls",
  usage:
    "ls [SNAPSHOT|latest] [PATH] [--name SET] [--long] [--recursive] [client options] [--json]",
  description:
    "Lists what the folder PATH holds in a snapshot (default: its root), one path a line,\n" +
    "relative to the snapshot's root (the form pull --path and cat take). SNAPSHOT is an id, a\n" +
    "unique prefix of one (4 characters or more) or latest (the default: the newest of the set\n" +
    "--name gives, which may be left out when you have one set). A PATH naming a file or symlink\n" +
    "lists that entry. --long shows mode, owner (user/group), size in bytes (a device's major\n" +
    "and minor numbers), mtime (UTC) and what a symlink or hard link points to, like ls -l;\n" +
    "--recursive lists everything below PATH. Reads only the file list: no file data is\n" +
    "fetched. A PATH the snapshot does not hold exits 1.",
  examples: [
    "ls                                   # the root of the latest snapshot",
    "ls latest Documents/notes --long --name home",
    "ls 4f2a --recursive --json",
  ],
  flags: {
    name: { type: "string", value: "SET", help: "The set whose snapshot to list" },
    long: { type: "boolean", help: "Show mode, owner, size, mtime and link targets" },
    recursive: { type: "boolean", help: "List everything below PATH, not only its entries" },
    ...CLIENT_FLAGS,
    json: { type: "boolean", help: "Print one JSON object with the snapshot and its entries" },
  },
  positionals: { min: 0, max: 2 },
  run,
};
