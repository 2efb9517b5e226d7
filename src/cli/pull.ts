/** `burrow pull DEST`: restores a snapshot into a folder, a .zip or a .tar. @module */
import type { PullResult } from "../backup/pull.ts";
import { UsageError } from "../errors.ts";
import { validateSetName } from "../names.ts";
import { StageTimer } from "../stage_timer.ts";
import type { SnapshotRecord } from "../format/snapshot_model.ts";
import type { OverwriteMode } from "../restore/restorer.ts";
import { snapshotPath } from "../browse/tree_paths.ts";
import {
  booleanFlag,
  type Command,
  type ParsedArgs,
  stringFlag,
  stringListFlag,
} from "./command.ts";
import { withLogin } from "./client_session.ts";
import { CLIENT_FLAGS, DEBUG_TIMINGS_FLAG } from "./config.ts";
import { printError } from "./output.ts";
import { ProgressLine } from "./progress.ts";
import { PullReport } from "./pull_report.ts";
import { chooseSnapshot, openSnapshots } from "./snapshot_choice.ts";

/** `--overwrite MODE`, one of `modes`. @throws {UsageError} for a value that is not one */
function overwriteFlag(
  args: ParsedArgs,
  modes: readonly OverwriteMode[],
): OverwriteMode | undefined {
  const value = stringFlag(args, "overwrite");
  if (value === undefined) return undefined;
  const mode = modes.find((m) => m === value);
  if (mode === undefined) {
    const expected = `${modes.slice(0, -1).join(", ")} or ${modes.at(-1)}`;
    throw new UsageError(`Invalid --overwrite "${value}": expected ${expected}`);
  }
  return mode;
}

async function run(args: ParsedArgs): Promise<void> {
  const dest = args.positionals[0] ?? "";
  const nameFlag = stringFlag(args, "name");
  const set = nameFlag === undefined ? undefined : validateSetName(nameFlag);
  const wanted = stringFlag(args, "snapshot") ?? "latest";
  const json = booleanFlag(args, "json");
  const dryRun = booleanFlag(args, "dry-run");
  const progress = new ProgressLine(!json && !dryRun && Deno.stdout.isTerminal());
  const started = performance.now();
  const timer = booleanFlag(args, "debug-timings") ? new StageTimer() : undefined;
  // The archive writers (zip, tar) load only for a pull.
  const { OVERWRITE_MODES, pullFormat, pullSnapshot } = await import("../backup/pull.ts");
  const overwrite = overwriteFlag(args, OVERWRITE_MODES);
  const format = pullFormat(dest);
  const remove = booleanFlag(args, "delete");
  if (remove && format !== "folder") {
    throw new UsageError(`Cannot use --delete with an archive: it removes files from a folder`);
  }
  const paths = stringListFlag(args, "path").map(snapshotPath);
  if (remove && paths.length > 0) {
    throw new UsageError(`Cannot use --delete with --path: it would remove what --path leaves out`);
  }
  const report = new PullReport({ json, dryRun, progress });
  const { record, result } = await withLogin(args, async ({ client }, login): Promise<{
    record: SnapshotRecord;
    result: PullResult;
  }> => {
    timer?.lap("connect and log in");
    const { repository, listing } = await openSnapshots(client, login);
    const record = chooseSnapshot(listing, wanted, set);
    timer?.lap("open repository");
    let totals = { files: record.summary.files, bytes: record.summary.bytes };
    const result = await pullSnapshot({
      client,
      repository: repository!,
      record,
      dest,
      ...(timer === undefined ? {} : { timer }),
      preserveSpecialBits: booleanFlag(args, "preserve-special-bits"),
      numericIds: booleanFlag(args, "numeric-ids"),
      overwrite,
      delete: remove,
      dryRun,
      paths,
      onSelected: (selected) => (totals = selected),
      onProgress: (p) =>
        progress.update({
          files: p.files,
          bytes: p.bytes,
          totalFiles: totals.files,
          totalBytes: totals.bytes,
          current: p.current,
        }),
      ...report.callbacks(),
    });
    return { record, result };
  });
  progress.done();
  for (const line of timer?.lines() ?? []) printError(line);
  const seconds = (performance.now() - started) / 1000;
  report.print({ snapshot: record.id, set: record.set, dest, format, seconds }, result);
  if (!dryRun) report.checkComplete(result);
}

/** The `pull` command. */
export const pullCommand: Command = {
  name: "pull",
  usage: "pull DEST [--name SET] [--snapshot ID|latest] [--path PATH]... [--overwrite MODE] " +
    "[--delete] [--dry-run] [--preserve-special-bits] [--numeric-ids] [client options] [--json]",
  description:
    "Restores a snapshot (default: the latest of the set; the set may be left out when you have\n" +
    "one) into the folder DEST, as DEST/NAME (NAME: the file or folder that was pushed), or\n" +
    "writes a zip or tar archive holding NAME when DEST ends in .zip or .tar.\n" +
    "\n" +
    "--path PATH (repeatable) restores only that file or folder (a folder with everything in\n" +
    "it), with the folders that lead to it, and fetches only their data. PATH is relative to\n" +
    "the snapshot's root, as burrow ls shows it; a PATH the snapshot does not hold stops the\n" +
    "pull (exit 1) before anything is written.\n" +
    "\n" +
    "A pull does not write over anything unless told to: it refuses when DEST/NAME exists (an\n" +
    "empty folder aside) or the archive file exists. --overwrite says what happens to each path\n" +
    "that is taken: always replaces it; if-changed replaces it unless it is a file of the same\n" +
    "size, mtime and mode (or a symlink to the same target); if-newer replaces it when the\n" +
    "snapshot's is newer; never keeps it. Files kept are not fetched. A real folder where the\n" +
    "snapshot has a folder is kept and restored into; a folder that is not empty where the\n" +
    "snapshot has a file is replaced only with --delete, which also removes what DEST/NAME\n" +
    "holds that the snapshot does not. Symlinks are never followed. --dry-run lists what would\n" +
    "be created, overwritten, skipped and deleted, and fetches and writes nothing. An existing\n" +
    "archive is replaced only with --overwrite always.\n" +
    "\n" +
    "Every chunk is verified before it is written. Into a folder, a file whose data is missing\n" +
    "or damaged is left out and named on stderr, every other file is restored, and the pull\n" +
    "exits 4 at the end. A zip or tar is written whole or not at all: a damaged file stops it\n" +
    "with exit 4 and no archive. Into a folder, setuid and setgid bits are dropped unless\n" +
    "--preserve-special-bits (as tar does without -p); a zip or tar keeps the modes as\n" +
    "recorded, and its extractor applies its own policy.\n" +
    "\n" +
    "Owners: run as root, a pull gives every file its recorded owner, by user and group name\n" +
    "where this machine knows the name, else by number (--numeric-ids: by number only); run as\n" +
    "anyone else, what it restores belongs to that user, and it says so once. Hard links come\n" +
    "back as hard links (a tar holds them as links, a zip as copies; with --path, a link whose\n" +
    "file is left out is restored as a file). Fifos are recreated, devices only by root; one\n" +
    "that cannot be made is named in a warning, everything else is restored, and the pull exits\n" +
    "1 at the end. Sockets are listed but never recreated (the program that listens makes its\n" +
    "socket).",
  examples: [
    "pull ~/restored                      # the latest snapshot, into ~/restored/NAME",
    "pull ~/restored --overwrite if-changed --delete --dry-run   # what an update would do",
    "pull docs.zip --name docs --snapshot 4f2a",
    "pull ~/restored --path notes/todo.txt --path photos/2024   # only these",
  ],
  flags: {
    name: { type: "string", value: "SET", help: "The set to restore from" },
    snapshot: {
      type: "string",
      value: "ID",
      help: "A snapshot id (or prefix), or latest (default)",
    },
    path: {
      type: "string",
      value: "PATH",
      multiple: true,
      help: "Restore only this file or folder (repeatable; relative to the snapshot root)",
    },
    overwrite: {
      type: "string",
      value: "MODE",
      help: "always, if-changed, if-newer or never (default: refuse a destination that is taken)",
    },
    delete: {
      type: "boolean",
      help: "Remove what DEST/NAME holds that the snapshot does not (folders only)",
    },
    "dry-run": {
      type: "boolean",
      help: "List what would be created, overwritten, skipped and deleted; change nothing",
    },
    "preserve-special-bits": {
      type: "boolean",
      help: "Restore setuid and setgid bits too (into a folder; default: dropped)",
    },
    "numeric-ids": {
      type: "boolean",
      help: "As root, give owners by recorded uid and gid, not by name (a tar: no names)",
    },
    ...CLIENT_FLAGS,
    json: { type: "boolean", help: "Print the summary as one JSON object" },
    ...DEBUG_TIMINGS_FLAG,
  },
  positionals: { min: 1, max: 1 },
  run,
};
