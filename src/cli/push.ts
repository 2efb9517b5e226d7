/** `burrow push PATH`: backs up a file or folder as a new snapshot. @module */
import { basename, resolve } from "node:path";
import { pushSnapshot } from "../backup/push.ts";
import { RemoteRepository } from "../client/remote_repository.ts";
import { IncompleteError, NotFoundError } from "../errors.ts";
import type { SnapshotRecord } from "../format/snapshot_model.ts";
import { validateSetName } from "../names.ts";
import { StageTimer } from "../stage_timer.ts";
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import { withLogin } from "./client_session.ts";
import { CLIENT_FLAGS, DEBUG_TIMINGS_FLAG } from "./config.ts";
import { formatBytes, formatSeconds } from "../display.ts";
import { printError, printJson, printLine } from "./output.ts";
import { ProgressLine } from "./progress.ts";
import { printListingWarnings } from "./snapshot_warnings.ts";
import { SELECTION_FLAGS, selectionRules } from "./push_selection.ts";
import { Selection } from "../archive/selection.ts";

async function run(args: ParsedArgs): Promise<void> {
  const source = resolve(args.positionals[0] ?? "");
  try {
    await Deno.stat(source);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new NotFoundError(`Cannot back up "${args.positionals[0]}": no such file or folder`);
  }
  const set = validateSetName(stringFlag(args, "name") ?? basename(source));
  const json = booleanFlag(args, "json");
  const dryRun = booleanFlag(args, "dry-run");
  const selection = new Selection(await selectionRules(args, source));
  const progress = new ProgressLine(!json && Deno.stdout.isTerminal());
  const started = performance.now();
  const timer = booleanFlag(args, "debug-timings") ? new StageTimer() : undefined;
  const record = await withLogin(args, async ({ client }, login) => {
    timer?.lap("connect and log in");
    const repository = await RemoteRepository.open(client, login, { create: true, dryRun });
    timer?.lap("open repository");
    return await pushSnapshot({
      client,
      repository: repository!,
      source,
      set,
      host: hostName(),
      selection,
      dryRun,
      ...(timer === undefined ? {} : { timer }),
      onProgress: (p) =>
        progress.update({
          files: p.files,
          bytes: p.bytesRead,
          totalFiles: p.totalFiles,
          totalBytes: p.totalBytes,
          current: p.current,
        }),
      onWarning: (path, reason) => {
        progress.done();
        printError(`warning: ${path}: ${reason}`);
      },
      onListing: printListingWarnings,
    });
  });
  progress.done();
  for (const line of timer?.lines() ?? []) printError(line);
  const seconds = (performance.now() - started) / 1000;
  const s = record.summary;
  const excluded = selection.excluded;
  if (json) {
    // Records keep the field "dirs"; what people read says folders, as pull does.
    const { dirs: folders, ...counts } = s;
    printJson({
      ...(dryRun ? { dryRun: true } : { snapshot: record.id }),
      set: record.set,
      time: record.time,
      folders,
      ...counts,
      excluded,
      seconds,
    });
    checkComplete(record, dryRun);
    return;
  }
  printLine(
    dryRun
      ? `dry run: nothing was sent and no snapshot of set "${record.set}" was saved`
      : `snapshot ${record.id} of set "${record.set}" saved`,
  );
  printLine(
    `files: ${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnchanged} unchanged, ${s.filesRemoved} removed` +
      (s.warnings > 0 ? ` (${s.warnings} skipped with warnings)` : "") +
      (excluded > 0 ? `; ${excluded} ${excluded === 1 ? "entry" : "entries"} excluded` : ""),
  );
  printLine(
    dryRun
      ? `read ${formatBytes(s.bytesRead)}, would send ${
        formatBytes(s.bytesSent)
      } of new data (and the file list), in ${formatSeconds(seconds)}`
      : `read ${formatBytes(s.bytesRead)}, sent ${formatBytes(s.bytesSent)}, stored ${
        formatBytes(s.bytesStored)
      } after deduplication, in ${formatSeconds(seconds)}`,
  );
  checkComplete(record, dryRun);
}

/**
 * A push that skipped entries fails at the end (exit 1), after its snapshot was saved and its
 * summary printed, so scripts notice. @throws {IncompleteError}
 */
function checkComplete(record: SnapshotRecord, dryRun: boolean): void {
  const skipped = record.summary.warnings;
  if (skipped === 0) return;
  const entries = skipped === 1 ? "1 entry" : `${skipped} entries`;
  throw new IncompleteError(
    dryRun
      ? `Cannot back up ${entries} (see the warnings above)`
      : `Cannot back up ${entries} (see the warnings above): snapshot ${record.id} was saved without them`,
  );
}

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

/** The `push` command. */
export const pushCommand: Command = {
  name: "push",
  summary: "Back up a file or folder as a new snapshot",
  usage:
    "push PATH [--name SET] [--exclude PATTERN]... [selection options] [--dry-run] [client options] [--json]",
  description:
    "Backs up PATH as a new snapshot of the set SET (default: the base name of PATH). Only data\n" +
    "the server does not have is sent, encrypted on this machine; files whose size, mtime and\n" +
    "inode did not change since the last snapshot of the same path on this host in the set are\n" +
    "not read again. Exclude patterns follow .gitignore's rules, relative to PATH: a pattern\n" +
    "with a slash at its start or middle matches from PATH only, one without matches at any\n" +
    'depth, a slash at the end matches folders only, "**" spans folders, "!" takes back.\n' +
    "--dry-run reads and chunks as a push would and says how much it would send, sending nothing.",
  examples: [
    'push ~/Documents                     # a snapshot of set "Documents"',
    "push ~/Documents --name docs --json",
    "push ~ --exclude '*.tmp' --exclude node_modules/ --exclude-caches --one-file-system",
    "push ~/src --exclude-file ~/.burrow-excludes --dry-run",
  ],
  flags: {
    name: {
      type: "string",
      value: "SET",
      help: "Set to add the snapshot to (default: base name of PATH)",
    },
    ...CLIENT_FLAGS,
    ...SELECTION_FLAGS,
    "dry-run": {
      type: "boolean",
      help: "Read and chunk, say what would be sent; send and save nothing",
    },
    json: { type: "boolean", help: "Print the summary as one JSON object" },
    ...DEBUG_TIMINGS_FLAG,
  },
  positionals: { min: 1, max: 1 },
  run,
};
