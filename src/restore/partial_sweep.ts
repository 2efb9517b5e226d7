/**
 * Removes what a killed pull left behind: the temp names a restore or an archive export writes
 * through (`_folder_writer.ts`, `_partial_file.ts`) and renames only once complete. Only exact
 * partial names are touched, and only regular files and symlinks (never followed): a folder or
 * any other name is the user's.
 *
 * @module
 */

/** `.NAME.burrow-partial-TAG-N` as `FolderWriter` makes it (TAG: 8 hex digits, N from 1). */
const RESTORE_PARTIAL = /^\..+\.burrow-partial-[0-9a-f]{8}-[1-9][0-9]*$/s;

/** Whether `name` is the temp name of a file or symlink a folder restore was writing. */
export function isRestorePartialName(name: string): boolean {
  return RESTORE_PARTIAL.test(name);
}

/** Whether `name` is the temp name an archive export of `archiveName` was writing. */
export function isArchivePartialName(name: string, archiveName: string): boolean {
  const suffix = name.slice(archiveName.length);
  return name.startsWith(archiveName) && /^\.partial-[0-9a-f]{8}$/.test(suffix);
}

/**
 * Removes the regular files and symlinks directly in `dir` whose names `isPartial` accepts,
 * with sync calls. A name gone in the meantime is fine.
 *
 * @returns how many were removed
 * @throws the file system's error when `dir` cannot be read or a match cannot be removed
 */
export function removePartials(dir: string, isPartial: (name: string) => boolean): number {
  let removed = 0;
  for (const entry of Deno.readDirSync(dir)) {
    if (!(entry.isFile || entry.isSymlink) || !isPartial(entry.name)) continue;
    try {
      Deno.removeSync(`${dir}/${entry.name}`);
      removed++;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return removed;
}
