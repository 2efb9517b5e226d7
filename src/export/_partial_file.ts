/**
 * Writes an archive so that a complete-looking file only ever holds a complete archive: the
 * bytes go to `DEST.partial-RANDOM` beside DEST, which is fsynced (one call for the whole
 * archive) and renamed over DEST on success, and removed on failure. Partial archives of DEST
 * that a killed pull left are removed first.
 *
 * @module
 */
import { isArchivePartialName, removePartials } from "../restore/partial_sweep.ts";

/**
 * Runs `write` on a new temp file beside `dest` and renames it to `dest` once `write` resolves.
 * The archive gets mode 0o600: it holds the user's backup, which may be private.
 *
 * @throws whatever `write` throws, after removing the temp file
 */
export async function writeThroughPartial<T>(
  dest: string,
  write: (file: Deno.FsFile) => Promise<T>,
): Promise<T> {
  const slash = dest.lastIndexOf("/");
  const name = dest.slice(slash + 1);
  removePartials(
    slash < 0 ? "." : dest.slice(0, slash) || "/",
    (n) => isArchivePartialName(n, name),
  );
  const temp = `${dest}.partial-${crypto.randomUUID().slice(0, 8)}`;
  const file = Deno.openSync(temp, { write: true, createNew: true, mode: 0o600 });
  let open = true;
  try {
    const result = await write(file);
    file.syncSync();
    file.close();
    open = false;
    Deno.renameSync(temp, dest);
    return result;
  } catch (error) {
    if (open) file.close();
    try {
      Deno.removeSync(temp);
    } catch {
      // Never created or already gone: nothing to clean up.
    }
    throw error;
  }
}
