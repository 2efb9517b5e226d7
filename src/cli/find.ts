/**
 * `burrow find PATTERN...`: which snapshots hold paths matching glob patterns, newest snapshot
 * first, read from their manifests one at a time (no file data is fetched).
 *
 * @module
 */
import { globMatcher, type PathMatcher } from "../browse/glob.ts";
import { modeText, mtimeText, pathText, sizeText } from "../browse/entry_text.ts";
import { UsageError } from "../errors.ts";
import { formatTime } from "../display.ts";
import type { SnapshotRecord, TreeEntry } from "../format/snapshot_model.ts";
import { validateSetName } from "../names.ts";
import { booleanFlag, type Command, type ParsedArgs, stringFlag } from "./command.ts";
import { withLogin } from "./client_session.ts";
import { CLIENT_FLAGS } from "./config.ts";
import { entryJson } from "./ls.ts";
import { printJson, printLine, printTable } from "./output.ts";
import { chooseSnapshot, openSnapshots, readSnapshotTree } from "./snapshot_choice.ts";

/** One matching entry and the snapshot holding it. */
interface Found {
  record: SnapshotRecord;
  entry: TreeEntry;
}

/** The patterns as matchers. @throws {UsageError} for a broken one */
function matchers(patterns: readonly string[]): PathMatcher[] {
  return patterns.map((pattern) => {
    try {
      return globMatcher(pattern);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  });
}

async function run(args: ParsedArgs): Promise<void> {
  const tests = matchers(args.positionals);
  const nameFlag = stringFlag(args, "name");
  const set = nameFlag === undefined ? undefined : validateSetName(nameFlag);
  const wanted = stringFlag(args, "snapshot");
  const found = await withLogin(args, async ({ client }, login) => {
    const { repository, listing } = await openSnapshots(client, login);
    const records = wanted !== undefined
      ? [chooseSnapshot(listing, wanted, set, "search")]
      : listing.records.filter((r) => set === undefined || r.set === set);
    records.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
    const found: Found[] = [];
    for (const record of records) {
      for (const entry of await readSnapshotTree(client, repository!, record)) {
        if (tests.some((test) => test(entry.path))) found.push({ record, entry });
      }
    }
    return found;
  });
  if (booleanFlag(args, "json")) {
    printJson(found.map(({ record, entry }) => ({
      snapshot: record.id,
      set: record.set,
      time: record.time,
      ...entryJson(entry),
    })));
  } else if (found.length === 0) printLine("no matches");
  else {
    printTable(
      ["SNAPSHOT", "SET", "TIME", "MODE", "SIZE", "MTIME", "PATH"],
      found.map(({ record, entry }) => [
        record.id,
        record.set,
        formatTime(record.time),
        modeText(entry),
        sizeText(entry),
        mtimeText(entry.mtimeNs),
        pathText(entry),
      ]),
    );
  }
}

/** The `find` command. */
export const findCommand: Command = {
  name: "find",
  usage: "find PATTERN... [--name SET] [--snapshot ID] [client options] [--json]",
  description:
    "Searches your snapshots' file lists (newest snapshot first; no file data is fetched) for\n" +
    "paths matching any PATTERN, and prints each with its snapshot, mode, size and mtime. As in\n" +
    "restic, a PATTERN without a / is matched against base names (find '*.pdf'), one with a /\n" +
    "against the whole path from the snapshot's root (find 'notes/*.txt', '/notes/2024/*'). *\n" +
    "matches within one name, ? one character, [a-z] and [!a-z] one character of or not of a\n" +
    "set, ** any number of folders (find 'src/**/test_*.ts'), \\ makes the next character\n" +
    "plain; case matters. Quote patterns so the shell does not expand them. Finding nothing is\n" +
    "not an error (exit 0).",
  examples: [
    "find '*.pdf'",
    "find 'notes/**/todo*' --name home --json",
    "find report.docx --snapshot 4f2a",
  ],
  flags: {
    name: { type: "string", value: "SET", help: "Search only the snapshots of this set" },
    snapshot: {
      type: "string",
      value: "ID",
      help: "Search only this snapshot (an id, a prefix, or latest)",
    },
    ...CLIENT_FLAGS,
    json: { type: "boolean", help: "Print a JSON array of the matches" },
  },
  positionals: { min: 1, max: 64 },
  run,
};
