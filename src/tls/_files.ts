/**
 * File helpers for certificate folders: atomic writes (temp file in the same folder, fsync,
 * rename, fsync of the folder), existence checks, and one-word reasons for file errors.
 *
 * @module
 */
import { makeDirDurable } from "../atomic_file.ts";
import { ConfigError } from "../errors.ts";

/** `dir/name`, without doubling a trailing separator of dir. */
export function joinPath(dir: string, name: string): string {
  return `${dir.replace(/[/\\]+$/, "")}/${name}`;
}

/** A short reason for a file-system error, for one-line messages ("no such file", …). */
export function describeFsError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a folder";
  if (error instanceof Deno.errors.AlreadyExists) return "exists";
  if (error instanceof Deno.errors.NotADirectory) return "a parent is not a folder";
  return error instanceof Error ? error.message : String(error);
}

/** Whether something exists at path (a dangling symlink counts as existing). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw new ConfigError(`Cannot check "${path}": ${describeFsError(error)}`, { cause: error });
  }
}

/**
 * Writes text to `dir/name` atomically with the given mode: readers see the old file or the whole
 * new one, never a part. The caller syncs the folder once after its last write (`syncDir`).
 *
 * @throws {ConfigError} when the file cannot be written
 */
export async function writeFileAtomic(
  dir: string,
  name: string,
  text: string,
  mode: number,
): Promise<void> {
  const random = crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  const temp = joinPath(dir, `.${name}.tmp-${random.toString(16)}`);
  const target = joinPath(dir, name);
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode });
    try {
      const bytes = new TextEncoder().encode(text);
      for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
      // The umask may have narrowed the mode at creation; set it exactly.
      if (Deno.build.os !== "windows") await Deno.chmod(temp, mode);
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, target);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new ConfigError(`Cannot write "${target}": ${describeFsError(error)}`, { cause: error });
  }
}

/** Makes renames inside dir durable (no-op on Windows, where folders cannot be opened). */
export async function syncDir(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/** Creates dir (mode 0700) and its parents where missing. */
export async function makePrivateDir(dir: string): Promise<void> {
  try {
    await makeDirDurable(dir);
  } catch (error) {
    throw new ConfigError(`Cannot create folder "${dir}": ${describeFsError(error)}`, {
      cause: error,
    });
  }
}

/** The text of a file, or a ConfigError "Cannot read WHAT "PATH": REASON". */
export async function readText(what: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(`Cannot read ${what} "${path}": ${describeFsError(error)}`, {
      cause: error,
    });
  }
}
