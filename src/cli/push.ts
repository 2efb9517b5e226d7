/** `burrow push PATH`: backs up a file or folder as a new snapshot. @module */
import { basename, resolve } from "node:path";
import { pushSnapshot } from "../backup/push.ts";
import { RemoteRepository } from "../client/remote_repository.ts";
import { IncompleteError, NotFoundError, UsageError } from "../errors.ts";
import type { SnapshotRecord } from "../format/snapshot_model.ts";
import { quoteName, validateSetName } from "../names.ts";
import { StageTimer } from "../stage_timer.ts";
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import { withLogin } from "./client_session.ts";
import { CLIENT_FLAGS, DEBUG_TIMINGS_FLAG } from "./config.ts";
import { formatBytes, formatSeconds } from "../display.ts";
import { printError, printJson, printLine } from "./output.ts";
import { ProgressLine } from "./progress.ts";
import { printListingWarnings } from "./snapshot_warnings.ts";
import { SELECTION_FLAGS, selectionRules } from "./push_selection.ts";
import { Selection, TAKE_EVERYTHING } from "../archive/selection.ts";

async function run(args: ParsedArgs): Promise<void> {
  const streamName = stdinName(args);
  const source = streamName === undefined ? resolve(args.positionals[0] ?? "") : STDIN_PATH;
  if (streamName === undefined) {
    try {
      await Deno.stat(source);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new NotFoundError(`Cannot back up "${args.positionals[0]}": no such file or folder`);
    }
  }
  const set = validateSetName(stringFlag(args, "name") ?? streamName ?? basename(source));
  const json = booleanFlag(args, "json");
  const dryRun = booleanFlag(args, "dry-run");
  const rules = streamName === undefined ? await selectionRules(args, source) : TAKE_EVERYTHING;
  let selection = new Selection(rules);
  const progress = new ProgressLine(!json && Deno.stdout.isTerminal());
  const started = performance.now();
  const timer = booleanFlag(args, "debug-timings") ? new StageTimer() : undefined;
  const record = await withLogin(
    args,
    async ({ client }, login) => {
      // A push that starts again through another server counts what it leaves out afresh.
      selection = new Selection(rules);
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
        ...(streamName === undefined ? {} : { streamName }),
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
    },
    [],
    { startAgain: streamName === undefined },
  );
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
      (s.warnings > 0 ? ` (${s.warnings} with warnings)` : "") +
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
      : `Cannot back up ${entries} as found (see the warnings above): snapshot ${record.id} was saved, incomplete`,
  );
}

/** Where `push --stdin` reads from: this process's standard input, as a file the workers open. */
const STDIN_PATH = "/dev/stdin";

/**
 * The file name `--stdin` stores its stream as, or undefined without `--stdin`.
 * @throws {UsageError} on a PATH beside `--stdin`, a missing or invalid name, flags that read
 *   stdin too or choose files, or a terminal as standard input
 */
function stdinName(args: ParsedArgs): string | undefined {
  const name = stringFlag(args, "stdin-filename");
  if (!booleanFlag(args, "stdin")) {
    if (name !== undefined) throw new UsageError("Cannot use --stdin-filename without --stdin");
    if (args.positionals.length !== 1) {
      throw new UsageError("Cannot push: give one PATH, or --stdin");
    }
    return undefined;
  }
  if (args.positionals.length > 0) {
    throw new UsageError("Cannot push: give either PATH or --stdin, not both");
  }
  if (name === undefined) {
    throw new UsageError("Cannot push --stdin: give the name to store it as with --stdin-filename");
  }
  if (name === "" || name === "." || name === ".." || /[/\0]/.test(name)) {
    throw new UsageError(
      `Invalid --stdin-filename ${quoteName(name)}: expected a file name without "/"`,
    );
  }
  const reading = ["password-stdin", ...Object.keys(SELECTION_FLAGS)].find((flag) =>
    args.flags[flag] !== undefined && args.flags[flag] !== false
  );
  if (reading !== undefined) throw new UsageError(`Cannot use --${reading} with --stdin`);
  if (Deno.stdin.isTerminal()) {
    throw new UsageError("Cannot push --stdin: standard input is a terminal; pipe the data in");
  }
  return name;
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
  usage:
    "push (PATH | --stdin --stdin-filename NAME) [--name SET] [--exclude PATTERN]... [selection options] [--dry-run] [client options] [--json]",
  description:
    "Backs up PATH as a new snapshot of the set SET (default: the base name of PATH). Only data\n" +
    "the server does not have is sent, encrypted on this machine; files whose size, mtime and\n" +
    "inode did not change since the last snapshot of the same path on this host in the set are\n" +
    "not read again. Exclude patterns follow .gitignore's rules, relative to PATH: a pattern\n" +
    "with a slash at its start or middle matches from PATH only, one without matches at any\n" +
    'depth, a slash at the end matches folders only, "**" spans folders, "!" takes back.\n' +
    "--dry-run reads and chunks as a push would and says how much it would send, sending nothing.\n" +
    "--stdin backs up standard input as one file NAME (default set: NAME), chunked like a file,\n" +
    "so a nightly dump stores only what changed since the last one.",
  examples: [
    'push ~/Documents                     # a snapshot of set "Documents"',
    "push ~/Documents --name docs --json",
    "push ~ --exclude '*.tmp' --exclude node_modules/ --exclude-caches --one-file-system",
    "push ~/src --exclude-file ~/.burrow-excludes --dry-run",
    "pg_dump mydb | push --stdin --stdin-filename mydb.sql --name db",
  ],
  flags: {
    name: {
      type: "string",
      value: "SET",
      help: "Set to add the snapshot to (default: base name of PATH)",
    },
    ...CLIENT_FLAGS,
    ...SELECTION_FLAGS,
    stdin: {
      type: "boolean",
      help: "Back up standard input, read to its end, as one file (instead of PATH)",
    },
    "stdin-filename": {
      type: "string",
      value: "NAME",
      help: "The file name standard input is stored as (with --stdin)",
    },
    "dry-run": {
      type: "boolean",
      help: "Read and chunk, say what would be sent; send and save nothing",
    },
    json: { type: "boolean", help: "Print the summary as one JSON object" },
    ...DEBUG_TIMINGS_FLAG,
  },
  positionals: { min: 0, max: 1 },
  run,
};
