/**
 * `burrow diff SNAPSHOT_A SNAPSHOT_B`: what changed from one snapshot to another, read from their
 * manifests (no file data is fetched), one path a line with restic's markers and totals after.
 *
 * @module
 */
import { diffTrees, type TreeDiff, type TypeCounts } from "../browse/tree_diff.ts";
import { formatBytes } from "../display.ts";
import { validateSetName } from "../names.ts";
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import { CLIENT_FLAGS } from "./config.ts";
import { printJson, printLines } from "./output.ts";
import { withSnapshotTrees } from "./snapshot_choice.ts";

function countsText(counts: TypeCounts): string {
  const special = counts.special > 0 ? `, ${counts.special} special files` : "";
  return `${counts.files} files, ${counts.dirs} folders, ${counts.symlinks} symlinks${special}`;
}

/** The lines `diff` prints: each change, then the totals. */
function* diffLines(diff: TreeDiff): Generator<string> {
  for (const change of diff.changes) {
    const what = change.changed.length > 0 ? `  (${change.changed.join(", ")})` : "";
    const slash = change.type === "dir" ? "/" : "";
    yield `${change.marker}    ${change.path}${slash}${what}`;
  }
  const { totals } = diff;
  yield "";
  yield `Added:    ${countsText(totals.added)}`;
  yield `Removed:  ${countsText(totals.removed)}`;
  yield `Changed:  ${totals.modified} modified, ${totals.typeChanged} changed in type`;
  yield `Bytes:    +${formatBytes(totals.bytesAdded)}  -${formatBytes(totals.bytesRemoved)}`;
}

async function run(args: ParsedArgs): Promise<void> {
  const nameFlag = stringFlag(args, "name");
  const set = nameFlag === undefined ? undefined : validateSetName(nameFlag);
  const { before, after, diff } = await withSnapshotTrees(
    args,
    args.positionals,
    set,
    "compare",
    ([a, b]) => ({
      before: a!.record,
      after: b!.record,
      diff: diffTrees(a!.entries, b!.entries),
    }),
  );
  if (booleanFlag(args, "json")) {
    printJson({ before: before.id, after: after.id, ...diff });
  } else {
    await printLines([`comparing snapshot ${before.id} to ${after.id}:`, "", ...diffLines(diff)]);
  }
}

/** The `diff` command. */
export const diffCommand: Command = {
  name: "diff",
  usage: "diff SNAPSHOT_A SNAPSHOT_B [--name SET] [client options] [--json]",
  description:
    "Compares two snapshots' file lists (no file data is fetched) and prints each path that\n" +
    "differs, relative to the snapshots' roots and in path order, as restic diff does:\n" +
    "  +  added in SNAPSHOT_B            -  removed from SNAPSHOT_A\n" +
    "  M  modified: content (by chunk ids and size), mode or symlink target\n" +
    "  T  changed in type (file, folder, symlink)\n" +
    "A change of mtime alone is not shown. The totals count entries added and removed by type,\n" +
    "and bytes: a file added or whose content changed counts its new size as added, one\n" +
    "removed or whose content changed its old size as removed. Each SNAPSHOT is an id, a unique\n" +
    "prefix of one (4 characters or more) or latest (of the set --name gives).",
  examples: [
    "diff 4f2a 9c1e",
    "diff 4f2a latest --name home --json",
  ],
  flags: {
    name: { type: "string", value: "SET", help: "The set in which latest and ids are looked up" },
    ...CLIENT_FLAGS,
    json: { type: "boolean", help: "Print the changes and totals as one JSON object" },
  },
  positionals: { min: 2, max: 2 },
  run,
};
