/**
 * Atomic, durable file writes shared by every layer that persists state: write a temp file in the
 * same folder, fsync it, rename it over the target, fsync the folder. A crash at any moment leaves
 * either the old file or the new one, never a torn one. Folders are made durable the same way:
 * each folder made is fsynced into its parent before anything is written into it.
 *
 * @module
 */

/** Options of `writeFileAtomic`. */
export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o600: the data is usually private). */
  mode?: number;
  /** Fail with AlreadyExists instead of replacing an existing file. */
  createNew?: boolean;
}

/** Writes `data` to `path` atomically and durably. */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const dir = parentDir(path);
  const temp = `${dir}/.${baseName(path)}.${crypto.randomUUID()}.tmp`;
  const file = await Deno.open(temp, { write: true, createNew: true, mode: options.mode ?? 0o600 });
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
  } catch (error) {
    file.close();
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  file.close();
  try {
    if (options.createNew) {
      // link() fails when the target exists, so two writers can never replace each other's file.
      await Deno.link(temp, path);
      await Deno.remove(temp);
    } else {
      await Deno.rename(temp, path);
    }
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  await syncDir(dir);
}

/** Makes a rename or create in `dir` durable (fsync of the folder itself). */
export async function syncDir(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/** Fsyncs a folder; `syncDir` or, in tests, one that records which folders were synced. */
export type SyncDir = (dir: string) => Promise<void>;

/** Options of `makeDirDurable`. */
export interface DurableDirOptions {
  /** Mode of each folder made (default 0o700: the data is usually private). */
  mode?: number;
  /** Fsyncs a parent folder (default `syncDir`); tests pass one that records the calls. */
  syncDir?: SyncDir;
}

/**
 * Makes `dir` and its missing parents, fsyncing the parent of each folder made, so that once it
 * returns a crash cannot lose the folders (and so what is written into them). A folder that
 * exists is left as it is.
 *
 * @returns whether `dir` itself was made
 */
export async function makeDirDurable(
  dir: string,
  options: DurableDirOptions = {},
): Promise<boolean> {
  const path = dir.replace(/(.)\/+$/, "$1");
  const mode = options.mode ?? 0o700;
  const parent = parentDir(path);
  let made = true;
  try {
    await Deno.mkdir(path, { mode });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    if (!(error instanceof Deno.errors.NotFound) || parent === path) throw error;
    await makeDirDurable(parent, options);
    try {
      await Deno.mkdir(path, { mode });
    } catch (again) {
      // Made meanwhile by another caller, which may not have synced it yet: sync it here too.
      if (!(again instanceof Deno.errors.AlreadyExists)) throw again;
      made = false;
    }
  }
  await (options.syncDir ?? syncDir)(parent);
  return made;
}

function parentDir(path: string): string {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return ".";
  return slash === 0 ? "/" : path.slice(0, slash);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
