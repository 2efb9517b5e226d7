/** `burrow pull DEST`: restores a snapshot into a folder, a .zip or a .tar. @module */
import type { PullResult } from "../backup/pull.ts";
import { RemoteRepository, type SnapshotListing } from "../client/remote_repository.ts";
import { IntegrityError, NotFoundError, UsageError } from "../errors.ts";
import { validateSetName } from "../names.ts";
import { StageTimer } from "../stage_timer.ts";
import type { SnapshotRecord } from "../format/snapshot_model.ts";
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import { withLogin } from "./client_session.ts";
import { CLIENT_FLAGS, DEBUG_TIMINGS_FLAG } from "./config.ts";
import { formatBytes, formatSeconds } from "./format.ts";
import { printError, printJson, printLine } from "./output.ts";
import { ProgressLine } from "./progress.ts";
import { printListingWarnings } from "./snapshot_warnings.ts";

const EMPTY_LISTING: SnapshotListing = { records: [], unreadable: [], damagedChunks: 0 };

/**
 * The snapshot `--snapshot ID|latest` and `--name SET` choose: an id (or unique prefix of at
 * least 4 characters), or the latest of the set; the set may be left out when there is one.
 * An id naming a snapshot whose record cannot be used is an IntegrityError saying why.
 */
export function chooseSnapshot(
  listing: SnapshotListing,
  wanted: string,
  set: string | undefined,
): SnapshotRecord {
  const snapshots = listing.records;
  const pool = set === undefined ? snapshots : snapshots.filter((s) => s.set === set);
  if (wanted !== "latest") {
    if (!/^[0-9a-f]{4,16}$/.test(wanted)) {
      throw new UsageError(`Invalid --snapshot "${wanted}": expected "latest" or a snapshot id`);
    }
    const found = pool.filter((s) => s.id.startsWith(wanted));
    const broken = listing.unreadable.filter((s) => s.id.startsWith(wanted));
    if (found.length + broken.length > 1) {
      throw new UsageError(`Snapshot id "${wanted}" is ambiguous: give more characters`);
    }
    if (found.length === 1) return found[0]!;
    if (broken.length === 1) {
      throw new IntegrityError(
        `Cannot pull snapshot ${broken[0]!.id}: its record cannot be used: ${broken[0]!.reason}`,
      );
    }
    throw new NotFoundError(
      `Cannot find snapshot "${wanted}"${set === undefined ? "" : ` in set "${set}"`}`,
    );
  }
  const sets = new Set(pool.map((s) => s.set));
  if (pool.length === 0) {
    throw new NotFoundError(
      set === undefined
        ? "Cannot pull: there are no snapshots"
        : `Cannot pull: set "${set}" has no snapshots`,
    );
  }
  if (sets.size > 1) {
    throw new UsageError(
      `Cannot choose a set: you have ${[...sets].map((s) => `"${s}"`).join(", ")} (use --name SET)`,
    );
  }
  return pool.reduce((a, b) => (b.time >= a.time ? b : a));
}

async function run(args: ParsedArgs): Promise<void> {
  const dest = args.positionals[0] ?? "";
  const nameFlag = stringFlag(args, "name");
  const set = nameFlag === undefined ? undefined : validateSetName(nameFlag);
  const wanted = stringFlag(args, "snapshot") ?? "latest";
  const json = booleanFlag(args, "json");
  const progress = new ProgressLine(!json && Deno.stdout.isTerminal());
  const started = performance.now();
  const timer = booleanFlag(args, "debug-timings") ? new StageTimer() : undefined;
  // The archive writers (zip, tar) load only for a pull.
  const { pullFormat, pullSnapshot } = await import("../backup/pull.ts");
  const { record, result } = await withLogin(args, async ({ client }, login): Promise<{
    record: SnapshotRecord;
    result: PullResult;
  }> => {
    timer?.lap("connect and log in");
    const repository = await RemoteRepository.open(client, login, { create: false });
    const listing = repository === null ? EMPTY_LISTING : await repository.listSnapshots();
    printListingWarnings(listing);
    const record = chooseSnapshot(listing, wanted, set);
    timer?.lap("open repository");
    const totalBytes = record.summary.bytes;
    const result = await pullSnapshot({
      client,
      repository: repository!,
      record,
      dest,
      ...(timer === undefined ? {} : { timer }),
      preserveSpecialBits: booleanFlag(args, "preserve-special-bits"),
      onProgress: (p) =>
        progress.update({
          files: p.files,
          bytes: p.bytes,
          totalFiles: record.summary.files,
          totalBytes,
          current: p.current,
        }),
    });
    return { record, result };
  });
  progress.done();
  for (const line of timer?.lines() ?? []) printError(line);
  const seconds = (performance.now() - started) / 1000;
  if (json) {
    printJson({
      snapshot: record.id,
      set: record.set,
      dest,
      format: pullFormat(dest),
      ...result,
      seconds,
    });
    return;
  }
  printLine(`snapshot ${record.id} of set "${record.set}" restored to ${result.path}`);
  printLine(`files: ${result.files}, folders: ${result.folders}, symlinks: ${result.symlinks}`);
  printLine(
    `wrote ${formatBytes(result.bytes)}, received ${
      formatBytes(result.bytesReceived)
    }, every chunk verified, in ${formatSeconds(seconds)}`,
  );
}

/** The `pull` command. */
export const pullCommand: Command = {
  name: "pull",
  summary: "Restore a snapshot into a folder, a .zip or a .tar",
  usage:
    "pull DEST [--name SET] [--snapshot ID|latest] [--preserve-special-bits] [client options] [--json]",
  description:
    "Restores a snapshot (default: the latest of the set; the set may be left out when you have\n" +
    "one) into the folder DEST, as DEST/NAME (NAME: the file or folder that was pushed), or\n" +
    "writes a zip or tar archive holding NAME when DEST ends in .zip or .tar.\n" +
    "Every chunk is verified before it is written; data that does not verify stops the pull\n" +
    "with exit code 4, naming the file. Into a folder, setuid and setgid bits are dropped\n" +
    "unless --preserve-special-bits (as tar does without -p); a zip or tar keeps the modes\n" +
    "as recorded, and its extractor applies its own policy.",
  examples: [
    "pull ~/restored                      # the latest snapshot, into ~/restored/NAME",
    "pull docs.zip --name docs --snapshot 4f2a",
  ],
  flags: {
    name: { type: "string", value: "SET", help: "The set to restore from" },
    snapshot: {
      type: "string",
      value: "ID",
      help: "A snapshot id (or prefix), or latest (default)",
    },
    "preserve-special-bits": {
      type: "boolean",
      help: "Restore setuid and setgid bits too (into a folder; default: dropped)",
    },
    ...CLIENT_FLAGS,
    json: { type: "boolean", help: "Print the summary as one JSON object" },
    ...DEBUG_TIMINGS_FLAG,
  },
  positionals: { min: 1, max: 1 },
  run,
};
