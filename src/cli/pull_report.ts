/**
 * What `pull` tells the user: each damaged file and each conflict on stderr as it happens, each
 * change of a dry run on stdout (or in `--json`), the summary, and the exit status a pull that
 * left something out ends with. Lists kept for `--json` are capped; counts are always complete.
 *
 * @module
 */
import type { PullOptions, PullResult } from "../backup/pull.ts";
import { IncompleteError, IntegrityError } from "../errors.ts";
import type { PlanEvent } from "../restore/restorer.ts";
import type { DamagedFileError } from "../restore/tree_reader.ts";
import { formatBytes, formatSeconds } from "../display.ts";
import { printError, printJson, printLine } from "./output.ts";
import type { ProgressLine } from "./progress.ts";

/** Damaged files and dry-run changes listed in `--json`. */
const MAX_LISTED = 1000;

/** A file left out, as `--json` lists it. */
interface DamagedFile {
  path: string;
  chunk: number | null;
  problem: string;
}

/** What the summary names besides the result. */
export interface PullSummary {
  snapshot: string;
  set: string;
  dest: string;
  format: string;
  seconds: number;
}

/** A path as one line: quoted as JSON when it holds a control character. */
function shownPath(path: string): string {
  return /\p{Cc}/u.test(path) ? JSON.stringify(path) : path;
}

/** One line of a dry run: `overwrite NAME/docs/a.txt`, a folder with a trailing slash. */
function planLine(event: PlanEvent): string {
  const path = `${shownPath(event.path)}${event.type === "dir" ? "/" : ""}`;
  return `${event.action.padEnd(9)} ${path}${event.reason ? ` (${event.reason})` : ""}`;
}

/** The reports of one pull. */
export class PullReport {
  readonly #json: boolean;
  readonly #dryRun: boolean;
  readonly #progress: ProgressLine;
  readonly #damaged: DamagedFile[] = [];
  readonly #changes: PlanEvent[] = [];

  constructor(options: { json: boolean; dryRun: boolean; progress: ProgressLine }) {
    this.#json = options.json;
    this.#dryRun = options.dryRun;
    this.#progress = options.progress;
  }

  /** The callbacks `pullSnapshot` reports through. */
  callbacks(): Pick<PullOptions, "onPlan" | "onWarning" | "onDamaged" | "onNotice"> {
    return {
      ...(this.#dryRun ? { onPlan: (event: PlanEvent) => this.#planned(event) } : {}),
      onNotice: (message) => {
        this.#progress.done();
        printError(`note: ${message}`);
      },
      onWarning: (path, reason) => {
        this.#progress.done();
        printError(`warning: ${shownPath(path)}: ${reason}`);
      },
      onDamaged: (damage: DamagedFileError) => {
        this.#progress.done();
        printError(`error: ${damage.message}`);
        if (this.#damaged.length < MAX_LISTED) {
          const { path, chunk, problem } = damage;
          this.#damaged.push({ path, chunk: chunk ?? null, problem });
        }
      },
    };
  }

  /** Prints the summary: one JSON object with `--json`, else a few lines. */
  print(summary: PullSummary, result: PullResult): void {
    const { seconds, ...names } = summary;
    if (this.#json) {
      const dryRun = this.#dryRun ? { dryRun: true, changes: this.#changes } : {};
      printJson({ ...names, ...dryRun, ...result, damaged: this.#damaged, seconds });
    } else if (this.#dryRun) {
      printLine(
        `dry run: ${result.created} to create, ${result.overwritten} to overwrite, ` +
          `${result.skipped} to skip, ${result.deleted} to delete; nothing was written`,
      );
    } else printRestored(summary, result);
  }

  /**
   * A pull that left files out fails at the end, after its summary: exit 4 for damaged data,
   * exit 1 for entries a folder is in the way of, or special files it could not make.
   *
   * @throws {IntegrityError} when files were damaged
   * @throws {IncompleteError} when entries were left out for a conflict, or special files
   */
  checkComplete(result: PullResult): void {
    const damaged = result.filesDamaged;
    if (damaged > 0) {
      throw new IntegrityError(
        damaged === 1
          ? "1 file could not be restored: its data is missing or damaged; run burrow check"
          : `${damaged} files could not be restored: their data is missing or damaged; run burrow check`,
      );
    }
    const conflicts = result.conflicts;
    if (conflicts > 0) {
      throw new IncompleteError(
        (conflicts === 1 ? "1 entry was" : `${conflicts} entries were`) +
          " not restored (see the warnings above): a folder that is not empty is in the way; " +
          "add --delete to replace it",
      );
    }
    const specials = result.specialsSkipped;
    if (specials > 0) {
      throw new IncompleteError(
        (specials === 1 ? "1 special file was" : `${specials} special files were`) +
          " not restored (see the warnings above)",
      );
    }
  }

  #planned(event: PlanEvent): void {
    if (!this.#json) printLine(planLine(event));
    else if (this.#changes.length < MAX_LISTED) this.#changes.push(event);
  }
}

function printRestored(summary: PullSummary, result: PullResult): void {
  printLine(`snapshot ${summary.snapshot} of set "${summary.set}" restored to ${result.path}`);
  printLine(
    `files: ${result.files}, folders: ${result.folders}, symlinks: ${result.symlinks}` +
      (result.hardLinks > 0 ? `, hard links: ${result.hardLinks}` : "") +
      (result.specials > 0 ? `, fifos and devices: ${result.specials}` : "") +
      (result.sockets > 0 ? `, sockets not recreated: ${result.sockets}` : ""),
  );
  const { overwritten, skipped, deleted, conflicts } = result;
  if (overwritten + skipped + deleted + conflicts > 0) {
    printLine(
      `already there: ${overwritten} overwritten, ${skipped} skipped, ${deleted} deleted` +
        (conflicts > 0 ? `, ${conflicts} in the way` : ""),
    );
  }
  if (result.chunksSetAside > 0) {
    printLine(
      `the server set aside ${result.chunksSetAside} damaged ${
        result.chunksSetAside === 1 ? "chunk" : "chunks"
      }: the next push of these files stores them again`,
    );
  }
  const damaged = result.filesDamaged;
  const verified = damaged === 0
    ? "every chunk verified"
    : `${damaged} damaged ${damaged === 1 ? "file" : "files"} left out`;
  printLine(
    `wrote ${formatBytes(result.bytes)}, received ${
      formatBytes(result.bytesReceived)
    }, ${verified}, in ${formatSeconds(summary.seconds)}`,
  );
}
