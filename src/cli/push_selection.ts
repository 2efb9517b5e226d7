/**
 * The flags that choose what `push` takes from its tree (`--exclude`, `--exclude-file`,
 * `--iexclude`, `--exclude-caches`, `--exclude-larger-than`, `--one-file-system`,
 * `--files-from`), read into the rules of a `Selection`.
 *
 * @module
 */
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { SelectionRules } from "../archive/selection.ts";
import { NotFoundError, UsageError } from "../errors.ts";
import { quoteName } from "../names.ts";
import {
  booleanFlag,
  type FlagSpec,
  type ParsedArgs,
  stringFlag,
  stringListFlag,
} from "./command.ts";
import { parseSize } from "./size.ts";

/** The flags, for a command's flag table. */
export const SELECTION_FLAGS: Record<string, FlagSpec> = {
  exclude: {
    type: "string",
    value: "PATTERN",
    multiple: true,
    help: "Leave out what matches a gitignore-style PATTERN (repeatable)",
  },
  "exclude-file": {
    type: "string",
    value: "FILE",
    multiple: true,
    help: "Read exclude patterns from FILE, one a line, # for comments (repeatable)",
  },
  iexclude: {
    type: "string",
    value: "PATTERN",
    multiple: true,
    help: "Like --exclude, without regard to case (repeatable)",
  },
  "exclude-caches": {
    type: "boolean",
    help: "Leave out folders that hold a valid CACHEDIR.TAG",
  },
  "exclude-larger-than": {
    type: "string",
    value: "SIZE",
    help: "Leave out files larger than SIZE (like 100MiB)",
  },
  "one-file-system": {
    type: "boolean",
    help: "Stay on the file system of PATH: leave out mount points under it",
  },
  "files-from": {
    type: "string",
    value: "FILE",
    multiple: true,
    help: "Take only the paths listed in FILE (one a line, inside PATH) and what is under them",
  },
};

/**
 * The selection rules the flags ask for, for a push of `root` (absolute).
 * @throws {UsageError} on a size that does not parse, or a listed path outside `root`
 * @throws {NotFoundError} when a file named by a flag, or a path it lists, does not exist
 */
export async function selectionRules(args: ParsedArgs, root: string): Promise<SelectionRules> {
  const exclude = [...stringListFlag(args, "exclude")];
  for (const file of stringListFlag(args, "exclude-file")) {
    exclude.push(...patternLines(await readListFile(file, "--exclude-file")));
  }
  const larger = stringFlag(args, "exclude-larger-than");
  let excludeLargerThan: number | null = null;
  if (larger !== undefined) {
    try {
      excludeLargerThan = parseSize(larger);
    } catch {
      throw new UsageError(
        `Cannot use --exclude-larger-than "${larger}": expected a size like 100MiB or 2GB`,
      );
    }
  }
  const lists = stringListFlag(args, "files-from");
  let only: string[] | null = null;
  if (lists.length > 0) {
    only = [];
    for (const file of lists) {
      for (const line of patternLines(await readListFile(file, "--files-from"))) {
        only.push(await listedPath(line, root, file));
      }
    }
  }
  // Listing PATH itself takes everything.
  if (only?.includes("") === true) only = null;
  return {
    exclude,
    iexclude: stringListFlag(args, "iexclude"),
    excludeCaches: booleanFlag(args, "exclude-caches"),
    excludeLargerThan,
    oneFileSystem: booleanFlag(args, "one-file-system"),
    only,
  };
}

/** The lines of a pattern or path list that are neither empty nor comments. */
function patternLines(text: string): string[] {
  return text.split("\n").map((line) => line.replace(/\r$/, "")).filter((line) =>
    line.trim() !== "" && !line.startsWith("#")
  );
}

async function readListFile(file: string, flag: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new NotFoundError(`Cannot read ${flag} ${quoteName(file)}: it does not exist`);
    }
    throw error;
  }
}

/** A path listed in a `--files-from` file, relative to `root` ("/"-separated; "" for the root). */
async function listedPath(line: string, root: string, file: string): Promise<string> {
  const absolute = resolve(line);
  const inside = relative(root, absolute);
  if (inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new UsageError(
      `Cannot take ${quoteName(line)} from --files-from ${quoteName(file)}: it is not inside ${
        quoteName(root)
      }`,
    );
  }
  try {
    await Deno.lstat(absolute);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new NotFoundError(
        `Cannot take ${quoteName(line)} from --files-from ${quoteName(file)}: it does not exist`,
      );
    }
    throw error;
  }
  return inside.split(sep).join("/");
}
