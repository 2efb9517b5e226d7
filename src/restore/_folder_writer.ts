/**
 * Writes checked entries under a root folder with sync file calls (about ten times cheaper than
 * Deno's async ones for the common case of many small files).
 *
 * Invariants: nothing is written outside the root. Parents are safe by construction: the guard
 * only lets through entries whose parent is a folder entry restored earlier, and a folder is
 * restored by `mkdir` (which never follows a link) or, when something is already there, by an
 * lstat that keeps only a real folder and replaces anything else; a folder the plan says must
 * give way to a file or symlink is removed with what it holds (`clear`, which never follows a
 * symlink). Files and symlinks are created
 * under a fresh temp name (`createNew`, which never follows a link) in the target folder, get
 * their mode and mtime, and only then are renamed over the final name, so a complete-looking
 * name always holds verified content (files by the restore workers, see `fileTarget`). Files are
 * not fsynced one by one (20,000 fsyncs would cost more than the restore itself); a crash may
 * leave temp files named `.NAME.burrow-partial-TAG-N`, which the next restore removes from every
 * folder it writes into that was there already (a folder it creates holds none, and is not read).
 * Folders stay 0o700 while the restore runs; their owners, modes and mtimes are set at the end,
 * deepest first, since writing into a folder changes its mtime. Fifos and devices are made under a
 * temp name too; a hard link is made (`link`, never following a link) to a file this restore
 * wrote, under a temp name renamed over its final one, and nothing is set on it (it shares its
 * file's inode). An owner is given (as `OwnerPolicy` says) before the mode is set, since a change
 * of owner clears setuid and setgid bits.
 *
 * @module
 */
import { lchownSync } from "node:fs";
import { setModificationTime } from "../fs_times.ts";
import type { TreeEntry } from "../format/snapshot_model.ts";
import type { OwnerIds, OwnerPolicy } from "./_owner_policy.ts";
import { isRestorePartialName, removePartials } from "./partial_sweep.ts";
import { makeNode, type NodeType } from "./_special_nodes.ts";

/** A folder whose final owner, mode and mtime are set by `finishFolders`. */
interface PendingFolder {
  path: string;
  mode: number;
  /** Left as the file system has it when undefined. */
  mtimeNs: bigint | undefined;
  /** Left as created when undefined. */
  owner: OwnerIds | undefined;
}

/** Restores entries under one root folder (an absolute, resolved path). */
export class FolderWriter {
  readonly #root: string;
  readonly #owners: OwnerPolicy | undefined;
  readonly #folders: PendingFolder[] = [];
  readonly #tempTag = crypto.randomUUID().slice(0, 8);
  #tempCount = 0;

  /** @param owners who restored entries belong to; undefined: whoever restores them */
  constructor(root: string, owners?: OwnerPolicy) {
    this.#root = root;
    this.#owners = owners;
  }

  /** Removes the partial files a killed restore left in the root; for a root that was there. */
  sweepRoot(): void {
    removePartials(this.#root, isRestorePartialName);
  }

  /**
   * Creates a folder (or keeps a real one already there, removing the partial files a killed
   * restore left in it) writable for the rest of the run. A folder kept `asItIs` gets its own
   * mode back at the end, not the entry's, and no mtime.
   */
  makeFolder(entry: TreeEntry, asItIs = false): void {
    const path = this.#absolute(entry.path);
    try {
      Deno.mkdirSync(path, { mode: 0o700 });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      const info = Deno.lstatSync(path);
      if (info.isDirectory && !info.isSymlink) {
        const mode = (info.mode ?? 0o700) & 0o7777;
        if ((mode & 0o700) !== 0o700) Deno.chmodSync(path, mode | 0o700);
        removePartials(path, isRestorePartialName);
        if (asItIs) {
          if ((mode & 0o700) !== 0o700) {
            this.#folders.push({ path, mode, mtimeNs: undefined, owner: undefined });
          }
          return;
        }
      } else {
        Deno.removeSync(path);
        Deno.mkdirSync(path, { mode: 0o700 });
      }
    }
    const owner = this.#owners?.idsFor(entry.owner);
    this.#folders.push({ path, mode: entry.mode, mtimeNs: entry.mtimeNs, owner });
  }

  /**
   * Where a file entry goes: the temp name to write it under (created with `createNew`, never
   * through a link) and the final name to rename it to once complete. The restore workers write
   * it (`restore_worker.ts`).
   */
  fileTarget(entry: TreeEntry): { temp: string; path: string } {
    return { temp: this.#tempPath(entry.path), path: this.#absolute(entry.path) };
  }

  /**
   * Removes what is at `entry`'s path (a folder, with what it holds), so that the file or
   * symlink can take its place; a symlink there is removed itself, never followed.
   */
  clear(entry: TreeEntry): void {
    try {
      Deno.removeSync(this.#absolute(entry.path), { recursive: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }

  /**
   * Creates a symlink (target stored as is, never followed), gives it its owner and sets its
   * mtime where possible.
   */
  makeSymlink(entry: TreeEntry): void {
    const temp = this.#tempPath(entry.path);
    Deno.symlinkSync(entry.target, temp);
    try {
      const owner = this.#owners?.idsFor(entry.owner);
      if (owner !== undefined) lchownSync(temp, owner.uid, owner.gid);
      try {
        setModificationTime(temp, entry.mtimeNs, true);
      } catch {
        // Not every platform can set a link's own times; the link itself is what matters.
      }
      Deno.renameSync(temp, this.#absolute(entry.path));
    } catch (error) {
      removeQuietly(temp);
      throw error;
    }
  }

  /**
   * Makes a fifo or a device node with its owner, mode and mtime.
   *
   * @throws {Deno.errors.PermissionDenied} when this user may not make it (see `makeNode`)
   * @throws {Deno.errors.NotSupported} where nodes cannot be made
   */
  makeSpecial(entry: TreeEntry & { type: NodeType }): void {
    const temp = this.#tempPath(entry.path);
    makeNode(temp, entry.type, entry.device);
    try {
      const owner = this.#owners?.idsFor(entry.owner);
      if (owner !== undefined) Deno.chownSync(temp, owner.uid, owner.gid);
      Deno.chmodSync(temp, entry.mode);
      setModificationTime(temp, entry.mtimeNs);
      Deno.renameSync(temp, this.#absolute(entry.path));
    } catch (error) {
      removeQuietly(temp);
      throw error;
    }
  }

  /**
   * Makes `entry`, a hard link, a further name of the file at its target (written by this
   * restore, so inside the root).
   *
   * @throws {Deno.errors.NotFound} when the target is not there (its data could not be restored)
   */
  makeLink(entry: TreeEntry): void {
    const temp = this.#tempPath(entry.path);
    Deno.linkSync(this.#absolute(entry.target), temp);
    try {
      Deno.renameSync(temp, this.#absolute(entry.path));
    } finally {
      removeQuietly(temp); // rename does nothing where both names are links to one file
    }
  }

  /** Sets every folder's final owner, mode and mtime, deepest first. */
  finishFolders(onWarning?: (path: string, reason: string) => void): void {
    const depth = (folder: PendingFolder) => folder.path.split("/").length;
    const folders = this.#folders.sort((a, b) => depth(b) - depth(a));
    for (const folder of folders) {
      try {
        if (folder.owner !== undefined) {
          Deno.chownSync(folder.path, folder.owner.uid, folder.owner.gid);
        }
        Deno.chmodSync(folder.path, folder.mode);
        if (folder.mtimeNs !== undefined) setModificationTime(folder.path, folder.mtimeNs);
      } catch (error) {
        const relative = folder.path.slice(this.#root.length + 1);
        onWarning?.(relative, `cannot set mode and mtime: ${(error as Error).message}`);
      }
    }
    this.#folders.length = 0;
  }

  #absolute(path: string): string {
    return `${this.#root}/${path}`;
  }

  /** `.NAME.burrow-partial-TAG-N` beside the final name, short enough for any file system. */
  #tempPath(path: string): string {
    const slash = path.lastIndexOf("/");
    const name = Array.from(path.slice(slash + 1)).slice(0, 40).join("");
    const folder = slash < 0 ? "" : `${path.slice(0, slash)}/`;
    return this.#absolute(`${folder}.${name}.burrow-partial-${this.#tempTag}-${++this.#tempCount}`);
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Already gone, or never created: nothing to clean up.
  }
}
