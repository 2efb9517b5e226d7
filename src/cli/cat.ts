/**
 * `burrow cat SNAPSHOT PATH`: writes one file of a snapshot to stdout, byte for byte, each chunk
 * verified before it is written (restic's `dump` of a file). Only that file's chunks are fetched.
 *
 * @module
 */
import { kindName, nameOf } from "../browse/entry_text.ts";
import { findEntry, snapshotPath } from "../browse/tree_paths.ts";
import { RemoteChunkSource } from "../client/remote_chunk_source.ts";
import { NotFoundError, UsageError } from "../errors.ts";
import { validateSetName } from "../names.ts";
import { emptyTotals, readTree } from "../restore/tree_reader.ts";
import type { Command, ParsedArgs } from "./command.ts";
import { stringFlag } from "./command.ts";
import { CLIENT_FLAGS } from "./config.ts";
import { writeStdout } from "./output.ts";
import { withSnapshotTrees } from "./snapshot_choice.ts";

async function run(args: ParsedArgs): Promise<void> {
  const [wanted = "", typed = ""] = args.positionals;
  const path = snapshotPath(typed);
  const nameFlag = stringFlag(args, "name");
  const set = nameFlag === undefined ? undefined : validateSetName(nameFlag);
  await withSnapshotTrees(args, [wanted], set, "read", async ([tree], { client, repository }) => {
    const { record, entries } = tree!;
    const entry = findEntry(entries, path);
    if (entry === undefined && path !== "") {
      throw new NotFoundError(`Cannot find ${JSON.stringify(path)} in snapshot ${record.id}`);
    }
    if (entry?.type !== "file" && entry?.type !== "hardlink") {
      const what = entry?.type === "symlink"
        ? `a symlink to ${JSON.stringify(entry.target)}`
        : `a ${kindName(entry?.type ?? "dir")}`;
      throw new UsageError(
        `Cannot cat ${JSON.stringify(path || "/")}: it is ${what}, not a file (see: burrow ls)`,
      );
    }
    // Checked alone, the entry needs no parent folder before it (a hard link: the file it is).
    const alone = { ...entry, path: nameOf(entry.path), type: "file" as const, target: "" };
    const source = new RemoteChunkSource(client, repository.keys, { openWorkers: 1 });
    try {
      for await (const { chunks } of readTree([alone], source, emptyTotals())) {
        for await (const chunk of chunks) await writeStdout(chunk);
      }
    } finally {
      source.close();
    }
  });
}

/** The `cat` command. */
export const catCommand: Command = {
  name: "cat",
  usage: "cat SNAPSHOT PATH [--name SET] [client options]",
  description:
    "Writes the file PATH of a snapshot to stdout as it was backed up, byte for byte, fetching\n" +
    "only its chunks. SNAPSHOT is an id, a unique prefix of one (4 characters or more) or latest\n" +
    "(of the set --name gives, which may be left out when you have one set); PATH is relative to\n" +
    "the snapshot's root, as burrow ls shows it. Every chunk is verified before it is written: a\n" +
    "chunk that does not verify stops the output there with exit 4, so a partial file never\n" +
    "passes for a whole one in a pipeline that checks the exit code. A folder or a symlink is\n" +
    "refused (exit 2); a PATH the snapshot does not hold exits 1.",
  examples: [
    "cat latest notes/todo.txt --name home",
    "cat 4f2a photos/cat.jpg > cat.jpg",
  ],
  flags: {
    name: { type: "string", value: "SET", help: "The set the snapshot belongs to" },
    ...CLIENT_FLAGS,
  },
  positionals: { min: 2, max: 2 },
  run,
};
